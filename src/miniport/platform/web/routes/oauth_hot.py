"""Discovery, JWKS, token and introspection: the OpenID Connect endpoints on the lean path.

Served by ``web.fastpath`` in front of FastAPI (see there for why). Only the plumbing is
lean, not the protocol: the handlers read forms with ``web.forms``, call the same domain
functions as every other endpoint (``oauth.discovery``, ``oauth.client_auth``,
``oauth.grants``, ``oauth.introspect``), and answer errors through ``web.errors``; there is
no second implementation of these endpoints anywhere. What makes them fast:

- discovery is rendered to bytes once; JWKS bytes come with the keyring's snapshot, which
  is rebuilt when the ``keys`` bus topic announces a rotation;
- clients are authenticated against ``runtime.host_apps``, an in-memory directory cleared by
  the ``registry`` topic (still a constant-time digest comparison);
- token look-ups go through the ``TokenCache``; token writes are Core inserts, committed in
  groups by ``GroupCommit``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session
from starlette.requests import Request

from miniport.common.clock import utcnow
from miniport.platform.oauth import client_auth, discovery, introspect, token_store
from miniport.platform.oauth.errors import InvalidGrant, InvalidRequest, UnsupportedGrantType
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
from miniport.platform.web.fastpath import (
    NO_STORE_HEADERS,
    Answer,
    FastRoute,
    PlatformApp,
    json_bytes,
)
from miniport.platform.web.forms import form_params, single_values
from miniport.platform.web.group_commit import GroupCommit


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
        # RFC 6749 §3.2: parameters sent without a value are treated as omitted, so an empty
        # client_secret beside the Authorization header is not a second authentication.
        sent = single_values(await form_params(request))
        form = {name: value for name, value in sent.items() if value}
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
        info = token_store.lookup(runtime.tokens, runtime.read_engine, value, now)
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


def install(app: PlatformApp, runtime: PlatformRuntime) -> OAuthHotPaths:
    """Serve the four endpoints on the lean path and document them in the schema."""
    hot = OAuthHotPaths(runtime)
    routes = hot.routes()
    app.add_fast_routes(routes)
    openapi_docs.document(
        app,
        {route.path: route.operations for route in routes},
        schemas=openapi_docs.SCHEMAS,
        security_schemes=openapi_docs.SECURITY_SCHEMES,
    )
    return hot
