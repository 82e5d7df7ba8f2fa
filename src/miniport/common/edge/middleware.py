"""The outermost ASGI layer of every service: request limits, request ids, the access log.

It wraps the whole app (on the platform: the lean path and FastAPI behind it), so every
request, refused or served, gets an ``X-Request-Id`` and an access-log line. What it costs a
request is one pass over the header list, a wrapped ``send`` and, with the access log on,
one formatted line; everything else happens only when a limit is hit.

Limits (``EdgeSettings``), answered before the application sees the request, with a short
plain-text body and ``Connection: close``:

- URL (path and query) longer than ``max_url_bytes``: 414;
- more than ``max_headers`` header lines, or more than ``max_header_bytes`` in all: 431;
- a ``Content-Length`` over ``max_body_bytes``: 413, before a byte of the body is read. A
  body without one (chunked) is read here up to the limit and handed on in one piece, or
  refused with 413 as soon as it grows past it. The server itself holds a body with a
  ``Content-Length`` to that length.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import perf_counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from miniport.common.edge import request_ids
from miniport.common.edge.access_log import AccessLog, LineBuffer
from miniport.common.edge.request_ids import RequestIds


@dataclass(frozen=True)
class Limits:
    max_url_bytes: int
    max_headers: int
    max_header_bytes: int
    max_body_bytes: int


@dataclass(frozen=True)
class Refusal:
    status: int
    text: bytes


URI_TOO_LONG = Refusal(414, b"URI too long\n")
HEADERS_TOO_LARGE = Refusal(431, b"request header fields too large\n")
CONTENT_TOO_LARGE = Refusal(413, b"content too large\n")


class Edge:
    """ASGI app: limits, request id and access log in front of ``app``."""

    def __init__(self, app: ASGIApp, *, limits: Limits, access_log: AccessLog | None) -> None:
        self.app = app
        self.limits = limits
        self.access_log = access_log
        self.new_id = RequestIds().new
        self._set_current_id = request_ids.current.set

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan" and self.access_log is not None:
                await self.app(scope, receive, _flushing_at_shutdown(self.access_log.sink, send))
            else:
                await self.app(scope, receive, send)
            return
        started = perf_counter()
        limits = self.limits
        headers = scope["headers"]
        incoming = None
        length = None
        chunked = False
        refusal = None
        raw_path = scope.get("raw_path")
        url_bytes = len(raw_path if raw_path is not None else scope["path"]) + len(
            scope["query_string"]
        )
        if url_bytes > limits.max_url_bytes:
            refusal = URI_TOO_LONG
        elif len(headers) > limits.max_headers:
            refusal = HEADERS_TOO_LARGE
        else:
            # One pass over the headers for everything this layer reads from them.
            size = 0
            for name, value in headers:
                size += len(name) + len(value)
                if name == b"x-request-id":
                    incoming = value
                elif name == b"content-length":
                    length = value
                elif name == b"transfer-encoding":
                    chunked = True
            if size > limits.max_header_bytes:
                refusal = HEADERS_TOO_LARGE
            elif length is not None and (
                len(length) > 18 or (length.isdigit() and int(length) > limits.max_body_bytes)
            ):
                refusal = CONTENT_TOO_LARGE
        if incoming is not None and request_ids.acceptable(incoming):
            request_id = incoming
        else:
            request_id = self.new_id()
        self._set_current_id(request_id)
        id_header = (request_ids.HEADER, request_id)
        if refusal is None and chunked:
            # Chunked, the body's length is known only once it has all come (a
            # Content-Length beside it does not count: RFC 9112 §6.3).
            receive, refused = await _read_limited(receive, limits.max_body_bytes)
            if refused:
                refusal = CONTENT_TOO_LARGE

        status = 0
        sent = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            else:
                sent += len(message.get("body", b""))
            await send(message)

        try:
            if refusal is None:
                await self.app(scope, receive, send_with_id)
            else:
                await _refuse(refusal, send_with_id)
        finally:
            if self.access_log is not None:
                self.access_log.record(
                    scope,
                    # Nothing sent: the server answers 500 for an app that raised.
                    status or 500,
                    sent,
                    started,
                    perf_counter(),
                    request_id,
                    refusal is not None,
                )


def _flushing_at_shutdown(sink: LineBuffer, send: Send) -> Send:
    """``send`` for the lifespan: the access log is written out as the server shuts down."""

    async def send_and_flush(message: Message) -> None:
        if message["type"] == "lifespan.shutdown.complete":
            sink.close()
        await send(message)

    return send_and_flush


async def _refuse(refusal: Refusal, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(refusal.text)).encode("ascii")),
                # The rest of what the client sends is not read: the connection cannot carry
                # another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": refusal.text})


async def _read_limited(receive: Receive, limit: int) -> tuple[Receive, bool]:
    """Read a body of unknown length up to ``limit`` bytes; (a receive replaying it, refused)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return _replaying([message], receive), False  # a disconnect: the app learns of it
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return receive, True
        chunks.append(chunk)
        if not message.get("more_body", False):
            body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return _replaying([body], receive), False


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return replay
