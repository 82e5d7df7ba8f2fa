"""Error and event logs (the standard library's ``logging``), redacted, as JSON or text.

Everything but the access log goes through here: uvicorn's own messages, the services'
warnings and every traceback. Each record is redacted (``redaction.redact_text``) after
formatting, so a URL with a ``secret=`` in an exception message, a quoted
``Authorization`` header or a bearer token never reaches the output. They are rare, so a
regular-expression pass over each costs nothing that matters. A record written while a
request is served carries that request's id.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

import orjson

from miniport.common.edge import request_ids
from miniport.common.edge.redaction import redact_text
from miniport.common.edge.settings import LogFormat

# Libraries that log every outgoing request with its full URL at INFO (httpx: the
# platform's URLs carry secrets in query strings); only their warnings are wanted.
QUIET_LIBRARIES = ("httpx", "httpcore", "hpack", "multipart")


def wants_json(log_format: LogFormat, stream: TextIO | None = None) -> bool:
    """JSON unless asked for text, or left to ``auto`` on a terminal."""
    if log_format != "auto":
        return log_format == "json"
    stream = stream if stream is not None else sys.stdout
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):
        return True


class LogFormatter(logging.Formatter):
    """One JSON object a line, or one readable line (plus a traceback) for people."""

    def __init__(self, *, json: bool = True, service: str = "") -> None:
        super().__init__()
        self.json = json
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        message = redact_text(record.getMessage())
        error = None
        if record.exc_info:
            error = redact_text(self.formatException(record.exc_info))
        elif record.exc_text:
            error = redact_text(record.exc_text)
        if record.stack_info:
            error = (error + "\n" if error else "") + redact_text(record.stack_info)
        current = request_ids.current.get()
        request_id = current.decode("ascii") if current is not None else None
        seconds = int(record.created)
        milliseconds = int((record.created - seconds) * 1000)
        date = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        timestamp = f"{date}.{milliseconds:03d}Z"
        if self.json:
            entry: dict[str, Any] = {
                "time": timestamp,
                "level": record.levelname.lower(),
                "logger": record.name,
                "service": self.service,
                "message": message,
            }
            if request_id is not None:
                entry["request_id"] = request_id
            if error is not None:
                entry["error"] = error
            return orjson.dumps(entry).decode("utf-8")
        where = f" [{request_id}]" if request_id is not None else ""
        line = f"{timestamp} {record.levelname:<7} {record.name}{where}: {message}"
        return f"{line}\n{error}" if error else line


def log_config(*, service: str, json: bool, level: str = "INFO") -> dict[str, Any]:
    """``logging.config.dictConfig`` input for a server process (uvicorn's ``log_config``).

    uvicorn's own access log stays silent: the edge writes the access log.
    """
    formatter = f"{__name__}.LogFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"miniport": {"()": formatter, "json": json, "service": service}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "miniport",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            **{name: {"level": "WARNING"} for name in QUIET_LIBRARIES},
        },
        "root": {"handlers": ["stderr"], "level": level},
    }
