"""The lean path: the hot endpoints are answered before any of FastAPI runs.

Discovery, JWKS, token, introspection, the port ``check``, launch and jscode2session are
called far more often than anything else, and on them FastAPI costs more than the work:
not only its routing, dependency injection and response classes, but its entry too
(telemetry checks, Starlette's error and body-limit middlewares). Measured in process
here, answering discovery's precomputed bytes took 30 µs through ``FastAPI.__call__``.
So ``PlatformApp.__call__`` looks the request path up in a dict first (``FastPath``); a
hot path goes straight to its handler, everything else on to FastAPI untouched.

A handler takes a Starlette ``Request`` and returns an ``Answer``. What it raises is
answered once, here, in its family's format:

- ``OAuthError`` through ``web.errors`` (RFC 6749 JSON, with the challenge headers);
- ``PortError`` through ``web.port_errors`` (the governance API's JSON);
- a method the route does not serve: the route's ``wrong_method`` (RFC 6749 JSON with
  ``Allow`` unless the route says else);
- anything unexpected: logged, and the route's ``failure`` (a 500 in the RFC 6749 format
  unless the route says else), so a bug is never answered with a dropped connection.

The handlers live with their endpoints' families (``routes.oauth_hot``,
``routes.ports_check``, ``routes.miniprogram``) and are documented in the app's OpenAPI
schema by their ``install``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from fastapi import FastAPI
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from miniport.platform.oauth.errors import InvalidRequest, OAuthError
from miniport.platform.ports.states import PortError
from miniport.platform.web.errors import NO_STORE, oauth_error_response
from miniport.platform.web.port_errors import port_error_response

log = logging.getLogger(__name__)

Headers = Sequence[tuple[bytes, bytes]]


class Answer(NamedTuple):
    """A response as the handlers produce it: status, body bytes, extra headers.

    A named tuple rather than a frozen dataclass: one is built per hot request, and the
    dataclass's ``__init__`` cost a visible share of the cheapest of them.
    """

    body: bytes
    content_type: bytes = b"application/json"
    status: int = 200
    headers: Headers = ()


Handler = Callable[[Request], Awaitable[Answer]]


class MethodNotAllowed(InvalidRequest):
    status_code = 405


NO_STORE_HEADERS: Headers = tuple(
    (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in NO_STORE.items()
)


def json_bytes(body: object) -> bytes:
    """Compact UTF-8 JSON, as every lean-path answer sends it (orjson: several times faster
    than ``json.dumps`` plus ``encode`` on these small bodies, and the same bytes)."""
    return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)


def oauth_wrong_method(method: str, allowed: frozenset[str]) -> Answer:
    """405 in the RFC 6749 error format (``invalid_request``), with ``Allow``."""
    error = MethodNotAllowed(f"{method} is not allowed here")
    return Answer(
        json_bytes(error.as_dict()),
        status=error.status_code,
        headers=[*NO_STORE_HEADERS, (b"allow", ", ".join(sorted(allowed)).encode("ascii"))],
    )


OAUTH_FAILURE = Answer(
    json_bytes({"error": "server_error", "error_description": "the server failed; try again"}),
    status=500,
    headers=NO_STORE_HEADERS,
)


@dataclass(frozen=True)
class FastRoute:
    path: str
    methods: frozenset[str]
    handler: Handler
    operations: Mapping[str, Any]  # OpenAPI operations by lower-case method
    # The answer to a method the route does not serve, in its endpoint family's error format.
    wrong_method: Callable[[str, frozenset[str]], Answer] = oauth_wrong_method
    # The answer when the handler fails unexpectedly, in the same family's format.
    failure: Answer = OAUTH_FAILURE


async def _send(send: Send, answer: Answer, *, head: bool) -> None:
    headers: Headers
    if answer.status == 304:
        # No body and no representation headers: RFC 9110 §15.4.5.
        headers = answer.headers
    else:
        headers = [
            (b"content-type", answer.content_type),
            (b"content-length", str(len(answer.body)).encode("ascii")),
            *answer.headers,
        ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else answer.body})


class FastPath:
    """ASGI app: an exact-path lookup for the hot endpoints, ``app`` for everything else."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[FastRoute]) -> None:
        self.app = app
        self.routes: dict[str, FastRoute] = {}
        self.add(routes)

    def add(self, routes: Sequence[FastRoute]) -> None:
        for route in routes:
            if route.path in self.routes:
                raise ValueError(f"{route.path} is already on the lean path")
            self.routes[route.path] = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        head = method == "HEAD"
        if method not in route.methods:
            await _send(send, route.wrong_method(method, route.methods), head=head)
            return
        try:
            answer = await route.handler(Request(scope, receive))
        except OAuthError as error:
            await oauth_error_response(error)(scope, receive, send)
            return
        except PortError as error:
            await port_error_response(error)(scope, receive, send)
            return
        except ClientDisconnect:
            return  # nobody is left to answer
        except Exception:
            log.exception("%s %s failed", method, route.path)
            answer = route.failure
        await _send(send, answer, head=head)


class PlatformApp(FastAPI):
    """The platform's FastAPI app, with the lean path in front of all of it.

    Everything else about the app (routes, ``state``, the lifespan, the OpenAPI schema) is
    FastAPI's; only ``__call__`` first offers the request to ``fast_path``.
    """

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self.fast_path = FastPath(super().__call__, routes=())

    def add_fast_routes(self, routes: Sequence[FastRoute]) -> None:
        self.fast_path.add(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.fast_path(scope, receive, send)


async def read_body(request: Request, *, limit: int, too_large: Callable[[], Exception]) -> bytes:
    """The request body, refused with ``too_large()`` as soon as it grows past ``limit``
    (a declared ``Content-Length`` over it is refused before anything is read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large()
    chunks: list[bytes] = []
    size = 0
    while True:
        # The ASGI messages themselves rather than ``Request.stream``: most bodies come in
        # one message, and the generator costs more than reading it.
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large()
        if not message.get("more_body", False):
            if not chunks:
                return chunk
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)
