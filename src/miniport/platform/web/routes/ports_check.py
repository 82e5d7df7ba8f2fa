"""``POST /api/ports/check``, served on the lean path in front of FastAPI (``web.fastpath``).

The host asks once per search-results page, so this is the platform's hottest endpoint
(target: 5,000 checks of 20 appids a second on one core). FastAPI's routing, dependency
injection and the page middlewares (CSRF cookie, locale) would cost more than the check
itself, and the endpoint needs none of them: it reads two headers and a JSON body, answers
from memory, and sends precomputed bytes. It is still documented in the OpenAPI schema
(``OPENAPI``), and its errors have the same JSON shape and statuses as every other
governance endpoint (the lean path answers ``OAuthError`` and ``PortError`` as FastAPI does).

Only a cache miss (a token, card or URL link not seen for a while) reaches the database: a
token is one indexed read on the driver's cursor, done in place; cards and URL links are
loaded in the thread pool so the event loop does not wait for them.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from miniport.common.clock import utcnow
from miniport.platform.oauth import token_store
from miniport.platform.oauth.errors import InsufficientScope, InvalidToken
from miniport.platform.oauth.token_store import TokenInfo
from miniport.platform.ports.check import (
    MAX_BODY_BYTES,
    MAX_ITEM_LENGTH,
    MAX_ITEMS,
    MAX_USER_KEY,
    BodyTooLarge,
    CheckAnswer,
    NeedsLoading,
    PortChecker,
    etag_matches,
    parse_check_request,
)
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.deps import bearer_token
from miniport.platform.web.fastpath import Answer, FastRoute, read_body

CHECK_PATH = "/api/ports/check"
PORTS_SCOPE = "ports"
# Per host token, and revalidated every time: a cache may keep it only to send If-None-Match.
_CACHE_CONTROL = (b"cache-control", b"private, no-cache")


def bearer_value(authorization: str | None) -> str:
    """The token of ``Authorization: Bearer …``; ``InvalidToken`` when there is none."""
    value = bearer_token(authorization)
    if value is None:
        raise InvalidToken("send a client_credentials access token as Authorization: Bearer")
    return value


def host_of(info: TokenInfo | None) -> str:
    """The host app a looked-up token speaks for, if it may use the ports API."""
    # Refresh tokens live in the same store; only an access token is a bearer credential.
    if info is None or info.kind != token_store.ACCESS:
        raise InvalidToken("the access token is invalid, expired or revoked")
    if info.user_id is not None or PORTS_SCOPE not in info.scope.split():
        raise InsufficientScope("this API takes a client_credentials token with scope ports")
    return info.client_id


class CheckRoute:
    """The handler of ``CHECK_PATH`` on the app's lean path."""

    def __init__(self, runtime: PlatformRuntime, checker: PortChecker) -> None:
        self.runtime = runtime
        self.checker = checker

    def route(self) -> FastRoute:
        return FastRoute(CHECK_PATH, frozenset({"POST"}), self.check, OPENAPI)

    async def check(self, request: Request) -> Answer:
        # One dict of the raw headers (names arrive lower-case) instead of a scan of the list
        # per header read: this endpoint reads three.
        headers: dict[bytes, bytes] = dict(request.scope["headers"])
        answer = await self._answer(request, headers)
        etag = answer.etag.encode()
        if etag_matches(headers.get(b"if-none-match", b"").decode("latin-1"), answer.etag):
            # check is a safe query that uses POST only to carry up to 100 items, so an
            # unchanged answer gets 304, as a GET would (RFC 9110 says 412 for other methods).
            return Answer(b"", status=304, headers=[(b"etag", etag), _CACHE_CONTROL])
        return Answer(answer.body, headers=[(b"etag", etag), _CACHE_CONTROL])

    async def _answer(self, request: Request, headers: dict[bytes, bytes]) -> CheckAnswer:
        runtime = self.runtime
        value = bearer_value(headers.get(b"authorization", b"").decode("latin-1"))
        now = utcnow()
        # A miss is one cheap indexed read (see ``token_store.lookup``): not worth a thread.
        client_id = host_of(token_store.lookup(runtime.tokens, runtime.read_engine, value, now))
        raw = await read_body(request, limit=MAX_BODY_BYTES, too_large=_too_large)
        query = parse_check_request(raw)
        try:
            return self.checker.answer(client_id=client_id, request=query, now=now)
        except NeedsLoading:
            return await run_in_threadpool(
                lambda: self.checker.answer(client_id=client_id, request=query, now=now, load=True)
            )


def _too_large() -> BodyTooLarge:
    return BodyTooLarge(f"the request body is larger than {MAX_BODY_BYTES} bytes")


_ERROR = {"$ref": "#/components/schemas/ErrorBody"}
_NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"  # as ``ports.check`` refuses them
OPENAPI: dict[str, Any] = {
    "post": {
        "tags": ["Ports"],
        "summary": "Which of these mini programs may this host show this user now",
        "description": (
            "Bearer: a client_credentials access token with scope `ports`. Answers each item "
            "(an appid, or a URL link / its slug) with `open` and a reason code. The response "
            "carries a strong ETag; send it back as If-None-Match to get 304 while nothing "
            "changed."
        ),
        "operationId": "check_ports",
        "parameters": [
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["user_key", "items"],
                        "properties": {
                            "user_key": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": MAX_USER_KEY,
                                "pattern": _NO_CONTROL_CHARACTERS,
                            },
                            "items": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": MAX_ITEMS,
                                "items": {
                                    "type": "string",
                                    "minLength": 1,
                                    "maxLength": MAX_ITEM_LENGTH,
                                    "pattern": _NO_CONTROL_CHARACTERS,
                                },
                            },
                        },
                    }
                }
            },
        },
        "responses": {
            "200": {
                "description": "One result per item, in order",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "304": {"description": "Unchanged since the ETag sent as If-None-Match"},
            **{
                status: {"description": text, "content": {"application/json": {"schema": _ERROR}}}
                for status, text in (
                    ("400", "Malformed body (invalid_request)"),
                    ("401", "Missing, invalid, expired or revoked token (invalid_token)"),
                    ("403", "Not a client_credentials token with scope ports"),
                    ("413", "Body larger than 64 KiB"),
                )
            },
        },
    }
}
