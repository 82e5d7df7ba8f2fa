"""The hottest OpenID Connect endpoints, served by a lean ASGI path in front of FastAPI.

Discovery, JWKS, token and introspection are called far more often than anything else, and
on them FastAPI's routing, dependency injection and response classes cost more than the
work itself: a FastAPI route returning constant JSON tops out near 5k req/s on one core
here, a raw ASGI callable near 14k. So ``FastPath``, an ASGI middleware, looks the request
path up in a dict; the four paths go straight to their handler, everything else goes on to
the FastAPI app untouched. (The mini-program API mounts its own hot paths the same way.)
A handler returns an ``Answer``; an ``OAuthError`` it raises is answered through
``web.errors`` like on every OAuth endpoint, and a method the route does not serve gets a
405 from the route's ``wrong_method`` (the OAuth error format unless the route says else).

Only the plumbing is lean, not the protocol. The handlers read forms with ``web.forms``,
call the same domain functions as every other endpoint (``oauth.discovery``,
``oauth.client_auth``, ``oauth.grants``, ``oauth.introspect``), and answer errors through
``web.errors``; there is no second implementation of these endpoints anywhere. They are
documented in the app's OpenAPI schema by ``install``. What makes them fast:

- discovery is rendered to bytes once; JWKS bytes come with the keyring's snapshot, which
  is rebuilt when the ``keys`` bus topic announces a rotation;
- clients are authenticated against ``runtime.host_apps``, an in-memory directory cleared by
  the ``registry`` topic (still a constant-time digest comparison);
- token look-ups go through the ``TokenCache``; token writes are Core inserts, committed in
  groups by ``GroupCommit``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from miniport.common.clock import utcnow
from miniport.platform.oauth import client_auth, discovery, introspect, token_store
from miniport.platform.oauth.errors import (
    InvalidGrant,
    InvalidRequest,
    OAuthError,
    UnsupportedGrantType,
)
from miniport.platform.oauth.grants import (
    GrantContext,
    TokenResponse,
    client_token,
    exchange_code,
    refresh,
)
from miniport.platform.oauth.grants.authorization_code import CodeReplayed
from miniport.platform.oauth.grants.refresh_token import RefreshReplayed
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web import openapi_docs
from miniport.platform.web.errors import NO_STORE, oauth_error_response
from miniport.platform.web.forms import form_params, single_values
from miniport.platform.web.group_commit import GroupCommit

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Answer:
    """A response as the handlers produce it: status, body bytes, extra headers."""

    body: bytes
    content_type: bytes = b"application/json"
    status: int = 200
    headers: Headers = field(default_factory=list)


Handler = Callable[[Request], Awaitable[Answer]]


class MethodNotAllowed(InvalidRequest):
    status_code = 405


NO_STORE_HEADERS: Headers = [
    (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in NO_STORE.items()
]


def json_bytes(body: object) -> bytes:
    """Compact UTF-8 JSON, as every lean-path answer sends it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def oauth_wrong_method(method: str, allowed: frozenset[str]) -> Answer:
    """405 in the RFC 6749 error format (``invalid_request``), with ``Allow``."""
    error = MethodNotAllowed(f"{method} is not allowed here")
    return Answer(
        json_bytes(error.as_dict()),
        status=error.status_code,
        headers=[*NO_STORE_HEADERS, (b"allow", ", ".join(sorted(allowed)).encode("ascii"))],
    )


@dataclass(frozen=True)
class FastRoute:
    path: str
    methods: frozenset[str]
    handler: Handler
    operations: Mapping[str, Any]  # OpenAPI operations by lower-case method
    # The answer to a method the route does not serve, in its endpoint family's error format.
    wrong_method: Callable[[str, frozenset[str]], Answer] = oauth_wrong_method


async def _send(send: Send, answer: Answer, *, head: bool) -> None:
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(answer.body)).encode("ascii")),
        *answer.headers,
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else answer.body})


class FastPath:
    """ASGI middleware: an exact-path lookup for the hot endpoints, FastAPI for the rest."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[FastRoute]) -> None:
        self.app = app
        self.routes = {route.path: route for route in routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in route.methods:
            await _send(send, route.wrong_method(method, route.methods), head=method == "HEAD")
            return
        request = Request(scope, receive)
        try:
            answer = await route.handler(request)
        except OAuthError as error:
            await oauth_error_response(error)(scope, receive, send)
            return
        except ClientDisconnect:
            return  # nobody is left to answer
        await _send(send, answer, head=method == "HEAD")


def _keep_replay(
    unit: Callable[[Session], TokenResponse],
) -> Callable[[Session], TokenResponse | InvalidGrant]:
    """A replayed code or refresh token revoked its grant's tokens: commit that, then fail."""

    def run(session: Session) -> TokenResponse | InvalidGrant:
        try:
            return unit(session)
        except (CodeReplayed, RefreshReplayed) as replay:
            return replay

    return run


class OAuthHotPaths:
    """The handlers of the four endpoints, over one platform runtime."""

    def __init__(self, runtime: PlatformRuntime) -> None:
        self.runtime = runtime
        self.writes = GroupCommit(runtime.sessions, checkpoints=runtime.checkpoints)
        self._discovery = json_bytes(discovery.metadata(runtime.issuer))

    async def openid_configuration(self, _request: Request) -> Answer:
        return Answer(self._discovery)

    async def jwks(self, _request: Request) -> Answer:
        return Answer(
            self.runtime.keyring.current().jwks_bytes,
            content_type=b"application/jwk-set+json",
            headers=[(b"cache-control", b"public, max-age=60")],
        )

    def _context(self) -> GrantContext:
        runtime = self.runtime
        return GrantContext(
            issuer=runtime.issuer,
            keyring=runtime.keyring,
            identifiers=runtime.identifiers,
            now=utcnow(),
        )

    async def token(self, request: Request) -> Answer:
        form = single_values(await form_params(request))
        host = client_auth.authenticate(
            self.runtime.host_apps, request.headers.get("authorization"), form
        )
        context = self._context()
        grant_type = form.get("grant_type")
        unit: Callable[[Session], TokenResponse]
        if grant_type == "authorization_code":

            def unit(session: Session) -> TokenResponse:
                return exchange_code(
                    session,
                    context,
                    host=host,
                    code=form.get("code"),
                    redirect_uri=form.get("redirect_uri"),
                    code_verifier=form.get("code_verifier"),
                )

        elif grant_type == "refresh_token":

            def unit(session: Session) -> TokenResponse:
                return refresh(
                    session,
                    context,
                    host=host,
                    refresh_token=form.get("refresh_token"),
                    scope=form.get("scope"),
                )

        elif grant_type == "client_credentials":

            def unit(session: Session) -> TokenResponse:
                return client_token(session, context, host=host, scope=form.get("scope"))

        elif not grant_type:
            raise InvalidRequest("grant_type is required")
        else:
            raise UnsupportedGrantType(f"unsupported grant_type {grant_type}")
        issued = await self.writes.run(_keep_replay(unit))
        if isinstance(issued, InvalidGrant):
            self.runtime.tokens.clear()  # the revocation is committed; drop cached answers
            raise issued
        return Answer(json_bytes(issued.as_dict()), headers=NO_STORE_HEADERS)

    async def introspect(self, request: Request) -> Answer:
        form = single_values(await form_params(request))
        host = client_auth.authenticate(
            self.runtime.host_apps, request.headers.get("authorization"), form
        )
        value = form.get("token")
        if not value:
            raise InvalidRequest("token is required")
        runtime = self.runtime
        now = utcnow()
        info = token_store.lookup(runtime.tokens, runtime.read_sessions, value, now)
        body = introspect.describe(
            info,
            caller_client_id=host.client_id,
            issuer=runtime.issuer,
            identifiers=runtime.identifiers,
            now=now,
        )
        return Answer(json_bytes(body), headers=NO_STORE_HEADERS)

    def routes(self) -> list[FastRoute]:
        get = frozenset({"GET", "HEAD"})
        post = frozenset({"POST"})
        return [
            FastRoute(
                "/.well-known/openid-configuration",
                get,
                self.openid_configuration,
                openapi_docs.DISCOVERY,
            ),
            FastRoute("/jwks.json", get, self.jwks, openapi_docs.JWKS),
            FastRoute("/token", post, self.token, openapi_docs.TOKEN),
            FastRoute("/introspect", post, self.introspect, openapi_docs.INTROSPECT),
        ]


def install(app: FastAPI, runtime: PlatformRuntime) -> OAuthHotPaths:
    """Put the lean path in front of ``app`` and document its endpoints in the schema."""
    hot = OAuthHotPaths(runtime)
    routes = hot.routes()
    # Added last, so it is the outermost middleware: the hot endpoints skip the CSRF-cookie
    # and locale middlewares, which only the HTML pages need.
    app.add_middleware(FastPath, routes=routes)
    openapi_docs.document(
        app,
        {route.path: route.operations for route in routes},
        schemas=openapi_docs.SCHEMAS,
        security_schemes=openapi_docs.SECURITY_SCHEMES,
    )
    return hot
