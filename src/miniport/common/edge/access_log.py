"""The access log: one line per request, redacted, written in batches off the request path.

The line is built where the request ends (``AccessLog.record``) and appended to a queue; a
thread writes the queue out every ``FLUSH_SECONDS`` (and at shutdown). So a request pays for
formatting one line, never for a write: no stdlib ``logging`` call chain, no lock, no system
call. The price is that a crashed process (SIGKILL, a segfault) loses at most the lines of
its last ``FLUSH_SECONDS``; a normal stop (SIGTERM, Ctrl-C) writes everything. An output that
cannot keep up (a stuck pipe) never stalls serving: past ``CAPACITY`` unwritten lines the
oldest are dropped. Several worker processes may share one pipe (a container's standard
output): there, a batch is written in pieces of whole lines no larger than ``PIPE_BUF``,
which the kernel writes without interleaving them with another process's.

JSON lines (``json=True``)::

    {"level":"info","logger":"access","service":"platform","client":"127.0.0.1",
     "method":"GET","path":"/sns/jscode2session","query":"appid=wx1&secret=***&js_code=***",
     "http":"1.1","time":"2026-12-07T10:00:00.123Z","request_id":"5f3a9c1e-1f",
     "status":200,"bytes":96,"duration_us":412}

Text lines (for a terminal)::

    2026-12-07T10:00:00.123Z 127.0.0.1 "GET /sns/jscode2session?appid=wx1&secret=***&js_code=*** HTTP/1.1" 200 96 412us 5f3a9c1e-1f
"""  # noqa: E501

from __future__ import annotations

import atexit
import os
import select
import stat
import threading
import time
from collections import deque
from typing import BinaryIO

import orjson
from starlette.types import Scope

from miniport.common.edge.redaction import redact_query

FLUSH_SECONDS = 0.2
CAPACITY = 50_000
# A refused over-long URL is logged cut to this many bytes.
MAX_LOGGED_TARGET = 1024
# Line heads (path, client, method, version) remembered, at most.
MAX_REMEMBERED = 4096


class Timestamps:
    """ISO 8601 UTC text of the wall-clock time at a ``perf_counter()`` reading, rebuilt
    once a millisecond at most.

    Under load many requests end within the same millisecond, and formatting a date costs
    more than the rest of the line. The request's end is read once, with ``perf_counter``,
    for its duration and its time both; the offset between that clock and the wall clock is
    read again every second, so a wall clock set anew (NTP) shows within a second.
    """

    def __init__(self) -> None:
        self.offset = time.time() - time.perf_counter()
        self._second = -1
        self._prefix = ""
        self.millisecond = -1
        self.last = ""  # the text of ``millisecond``

    def text(self, counter: float) -> str:
        millisecond = int((counter + self.offset) * 1000)
        if millisecond != self.millisecond:
            if millisecond // 1000 != self._second:
                self.offset = time.time() - time.perf_counter()
                millisecond = int((counter + self.offset) * 1000)
                self._second = millisecond // 1000
                self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self._second))
            self.millisecond = millisecond
            self.last = f"{self._prefix}.{millisecond % 1000:03d}Z"
        return self.last


class LineBuffer:
    """Lines queued by the serving thread, written to ``stream`` by a thread of its own.

    Lines are queued as text and encoded in one piece when written: one ``encode`` of a
    batch costs less than one per line, and it is not on any request's path.
    """

    def __init__(
        self, stream: BinaryIO, *, interval: float = FLUSH_SECONDS, capacity: int = CAPACITY
    ) -> None:
        self._stream = stream
        self._pipe = _pipe_of(stream)
        self._lines: deque[str] = deque(maxlen=capacity)
        # deque.append is atomic under the GIL: the serving thread never waits for the writer.
        self.append = self._lines.append
        self._interval = interval
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            lines = self._lines
            count = len(lines)
            if not count:
                return
            # Only this method takes lines out, under the lock, so ``count`` are there.
            data = "".join([lines.popleft() for _ in range(count)]).encode(
                "utf-8", "backslashreplace"
            )
            try:
                if self._pipe is None:
                    self._stream.write(data)
                    self._stream.flush()
                else:
                    self._stream.flush()  # whatever else was written to it goes first
                    _write_in_whole_lines(self._pipe, data)
            except (OSError, ValueError):
                pass  # the output is gone (a closed pipe): losing lines must not stop serving

    def close(self) -> None:
        """Write what is queued and stop the writer thread."""
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self.flush()
        atexit.unregister(self.close)


def _pipe_of(stream: BinaryIO) -> int | None:
    """The file descriptor of ``stream`` if it is a pipe or a socket, else None."""
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (AttributeError, OSError, ValueError):
        return None  # not a file at all (a test's BytesIO)
    return stream.fileno() if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else None


def _write_in_whole_lines(fd: int, data: bytes) -> None:
    """Write ``data`` in pieces of whole lines of at most ``PIPE_BUF`` bytes (a longer line
    alone), each of which a pipe takes in one piece."""
    start, end = 0, len(data)
    while start < end:
        stop = start + select.PIPE_BUF
        if stop < end:
            cut = data.rfind(b"\n", start, stop)
            if cut < 0:  # one line longer than PIPE_BUF: on its own
                cut = data.find(b"\n", stop)
            stop = end if cut < 0 else cut + 1
        else:
            stop = end
        piece = memoryview(data)[start:stop]
        while piece:
            piece = piece[os.write(fd, piece) :]
        start = stop


def _json_string(value: str) -> str:
    """``value`` as a JSON string: quoted as it is when plain, by ``orjson`` otherwise."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return orjson.dumps(value).decode("utf-8")


def _text(value: str) -> str:
    """``value`` safe between the spaces and quotes of a text line."""
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return value
    return value.encode("unicode_escape").decode("ascii").replace('"', '\\"')


class AccessLog:
    """Formats each request's line (JSON or text) into a ``LineBuffer``.

    ``record`` runs once a request, so it is written for speed. A JSON line is two parts:
    its head (service, client, method, path, query, HTTP version) and its tail (time,
    request id, status, bytes, duration). The head of a request without a query string is
    the same for every request to that path from that client, so it is made once and
    remembered (a server sees a few such heads, again and again); a request with a query is
    redacted and quoted afresh. The tail is one f-string of five values. Every field is
    quoted as it is when plain, by ``orjson`` otherwise. Measured in a served platform, this
    cost a third of building the line whole each time (and a fraction of building a dict and
    encoding it).
    """

    def __init__(self, sink: LineBuffer, *, service: str, json: bool) -> None:
        self.sink = sink
        self.json = json
        self._service = orjson.dumps(service).decode("utf-8")
        self._timestamps = Timestamps()
        self._heads: dict[tuple[object, ...], str] = {}
        self.record = self._record_json if json else self._record_text

    def _target(self, scope: Scope, refused: bool) -> tuple[str, str]:
        """The request's path (as sent) and its redacted query, as text."""
        raw_path = scope.get("raw_path")
        path: str = raw_path.decode("latin-1") if raw_path is not None else scope["path"]
        query = redact_query(scope["query_string"]).decode("utf-8", "backslashreplace")
        if refused and len(path) + len(query) > MAX_LOGGED_TARGET:
            return path[:MAX_LOGGED_TARGET] + "…", ""
        return path, query

    def _head(self, scope: Scope, host: str, refused: bool) -> str:
        path, query = self._target(scope, refused)
        if not self.json:
            target = _text(path + "?" + query if query else path)
            return f'{_text(host)} "{scope["method"]} {target} HTTP/{scope["http_version"]}" '
        return (
            f'{{"level":"info","logger":"access","service":{self._service},'
            f'"client":{_json_string(host)},"method":"{scope["method"]}",'
            f'"path":{_json_string(path)},"query":{_json_string(query)},'
            f'"http":"{scope["http_version"]}",'
        )

    def _head_of(self, scope: Scope, refused: bool) -> str:
        """The line's head: remembered for a request without a query, else made afresh."""
        client = scope.get("client")
        host = client[0] if client else "-"
        if scope["query_string"] or refused:
            return self._head(scope, host, refused)
        key = (scope.get("raw_path"), host, scope["method"], scope["http_version"])
        head = self._heads.get(key)
        if head is None:
            head = self._head(scope, host, refused)
            if len(self._heads) < MAX_REMEMBERED:
                self._heads[key] = head
        return head

    def _record_json(
        self,
        scope: Scope,
        status: int,
        sent: int,
        started: float,
        ended: float,
        request_id: bytes,
        refused: bool = False,
    ) -> None:
        # _head_of and Timestamps.text, inlined: on the cheapest endpoints each call saved
        # is a visible share of what the line costs.
        client = scope.get("client")
        host = client[0] if client else "-"
        if scope["query_string"] or refused:
            head = self._head(scope, host, refused)
        else:
            key = (scope.get("raw_path"), host, scope["method"], scope["http_version"])
            found = self._heads.get(key)
            if found is None:
                found = self._head(scope, host, refused)
                if len(self._heads) < MAX_REMEMBERED:
                    self._heads[key] = found
            head = found
        stamp = self._timestamps
        if int((ended + stamp.offset) * 1000) != stamp.millisecond:
            stamp.text(ended)
        self.sink.append(
            f'{head}"time":"{stamp.last}",'
            f'"request_id":"{request_id.decode("ascii")}","status":{status},"bytes":{sent},'
            f'"duration_us":{int((ended - started) * 1_000_000)}}}\n'
        )

    def _record_text(
        self,
        scope: Scope,
        status: int,
        sent: int,
        started: float,
        ended: float,
        request_id: bytes,
        refused: bool = False,
    ) -> None:
        self.sink.append(
            f"{self._timestamps.text(ended)} {self._head_of(scope, refused)}"
            f"{status} {sent} {int((ended - started) * 1_000_000)}us "
            f"{request_id.decode('ascii')}\n"
        )
