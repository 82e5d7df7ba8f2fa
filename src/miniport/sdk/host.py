"""``HostClient`` and ``AsyncHostClient``: a host app's server talking to the platform.

The two classes have the same methods (the async ones are coroutines, except the I/O-free
``new_authorization``); both run the flows of ``miniport.sdk._host``, so they cannot drift
apart. Use one client per host app for the life of the process: it caches the discovery
document, the JWKS, its ``client_credentials`` token and recent ``check`` answers.

    with HostClient("https://platform.example", client_id=..., client_secret=...) as platform:
        start = platform.new_authorization(redirect_uri=..., appid="wx…")
        ...  # keep ``start`` in the server-side session, redirect the browser to start.url
        result = platform.complete_authorization(start, request.query_params)
        launch = platform.launch(run_ticket=result.tokens.access_token, appid="wx…",
                                 path="/pages/index", user_key=...)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from miniport.sdk._drivers import AsyncDriver, SyncDriver
from miniport.sdk._host import HostFlows
from miniport.sdk._requests import HostRequests
from miniport.sdk._tokens import Clock, utc_now
from miniport.sdk.models import AuthorizationResult, AuthorizationStart, Launch, PortCheck, TokenSet
from miniport.sdk.retries import RetryPolicy

DEFAULT_SCOPE = "openid miniprogram"
DEFAULT_PATH = "/pages/index"


class _HostBase:
    """Construction and the I/O-free method, common to both clients."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        issuer: str | None = None,
        check_cache_size: int = 1024,
    ) -> None:
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._flows = HostFlows(
            HostRequests(
                base_url, client_id=client_id, client_secret=client_secret, timeout=timeout
            ),
            client_id=client_id,
            clock=clock or utc_now,
            issuer=issuer,
            check_cache_size=check_cache_size,
        )

    @property
    def base_url(self) -> str:
        return self._flows.requests.base_url

    @property
    def client_id(self) -> str:
        return self._flows.client_id

    def new_authorization(
        self,
        *,
        redirect_uri: str,
        appid: str,
        path: str = DEFAULT_PATH,
        scope: str = DEFAULT_SCOPE,
        prompt: str | None = None,
        login_hint: str | None = None,
    ) -> AuthorizationStart:
        """Start an authorization to run ``appid`` at ``path`` (no network call).

        Generates ``state``, ``nonce`` and a PKCE S256 verifier. Keep the returned object
        on the server until the redirect back, then pass it to ``complete_authorization``
        (or its parts to ``exchange_code`` and ``verify_id_token``).
        """
        return self._flows.new_authorization(
            redirect_uri=redirect_uri,
            appid=appid,
            path=path,
            scope=scope,
            prompt=prompt,
            login_hint=login_hint,
        )


class HostClient(_HostBase):
    """The platform's APIs for a host app, synchronous (``httpx.Client``).

    ``transport`` replaces httpx's (tests, proxies); ``retry`` sets how idempotent calls are
    retried on network errors; ``clock`` (aware UTC ``datetime``) drives token expiry and
    ID token time checks; ``issuer`` is the expected OpenID issuer when it differs from
    ``base_url`` (a platform reached through an internal address).
    """

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        issuer: str | None = None,
        check_cache_size: int = 1024,
    ) -> None:
        super().__init__(
            base_url,
            client_id=client_id,
            client_secret=client_secret,
            timeout=timeout,
            retry=retry,
            clock=clock,
            issuer=issuer,
            check_cache_size=check_cache_size,
        )
        http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
        self._driver = SyncDriver(http, self._retry)

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> HostClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- OpenID Connect ------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        """The OpenID Provider metadata (fetched once, then cached)."""
        return dict(self._driver.run(self._flows.discovery()))

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        expected_state: str | None = None,
        returned_state: str | None = None,
        returned_iss: str | None = None,
    ) -> TokenSet:
        """Trade an authorization code for tokens (authorization_code grant with PKCE).

        Pass the ``state`` and ``iss`` that came back with the code: a different state
        (CSRF) or issuer (RFC 9207 mix-up) raises ``AuthorizationResponseError`` before the
        code is sent anywhere. Sent once, never retried (codes are single use).
        """
        return self._driver.run(
            self._flows.exchange_code(
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
                expected_state=expected_state,
                returned_state=returned_state,
                returned_iss=returned_iss,
            )
        )

    def complete_authorization(
        self, start: AuthorizationStart, params: Mapping[str, str]
    ) -> AuthorizationResult:
        """Handle the redirect back: check ``state`` and ``iss`` (required, as the platform
        sends it), raise the ``OAuthError`` subclass of an ``error`` (``AccessDenied`` when
        the user said no), exchange the code, and verify the ID token (nonce, at_hash)."""
        return self._driver.run(self._flows.complete_authorization(start, params))

    def verify_id_token(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """The claims of a valid ID token; raises ``IdTokenError``.

        Checks the signature against the platform's JWKS (cached; fetched again once when
        the token names an unknown ``kid``), ``iss``, ``aud``/``azp``, ``exp``, ``iat``,
        ``nonce``, and ``at_hash`` when ``access_token`` is given.
        """
        return self._driver.run(
            self._flows.verify_id_token(id_token, nonce=nonce, access_token=access_token)
        )

    def refresh(self, refresh_token: str, *, scope: str | None = None) -> TokenSet:
        """New tokens for a refresh token (which is spent: store the new one). Not retried."""
        return self._driver.run(self._flows.refresh(refresh_token, scope=scope))

    def userinfo(self, access_token: str) -> dict[str, Any]:
        """OIDC UserInfo for a user's access token: ``{"sub": …}``."""
        return self._driver.run(self._flows.userinfo(access_token))

    def introspect(self, token: str, *, token_type_hint: str | None = None) -> dict[str, Any]:
        """RFC 7662: ``{"active": false}`` or the token's details (this host's tokens only)."""
        return self._driver.run(self._flows.introspect(token, token_type_hint=token_type_hint))

    def revoke(self, token: str, token_type_hint: str | None = None) -> None:
        """RFC 7009: revoke an access or refresh token (and its grant's tokens)."""
        self._driver.run(self._flows.revoke(token, token_type_hint=token_type_hint))

    def client_token(self) -> str:
        """The host's own access token (client_credentials, scope ``ports``), cached and
        renewed about a minute before it expires."""
        return self._driver.run(self._flows.client_token())

    # --- ports -----------------------------------------------------------------------------

    def check(self, *, user_key: str, items: Sequence[str]) -> list[PortCheck]:
        """May this host show these mini programs (appids or URL links, up to 100) to the
        user with ``user_key``? Unchanged answers come back as 304 and are served from the
        client's cache."""
        return self._driver.run(self._flows.check(user_key=user_key, items=items))

    def apply_port(self, *, appid: str, reason: str) -> dict[str, Any]:
        """Apply for a port to ``appid``; the port with its history."""
        return self._driver.run(self._flows.apply_port(appid=appid, reason=reason))

    def list_ports(self, *, state: str | None = None) -> list[dict[str, Any]]:
        """This host's ports, newest first (optionally only those in ``state``)."""
        return self._driver.run(self._flows.list_ports(state=state))

    def get_port(self, port_id: int) -> dict[str, Any]:
        """One of this host's ports, with its whole history."""
        return self._driver.run(self._flows.get_port(port_id))

    def withdraw_port(self, port_id: int, *, reason: str = "") -> dict[str, Any]:
        """Withdraw a pending request."""
        return self._driver.run(self._flows.withdraw_port(port_id, reason=reason))

    # --- launch ----------------------------------------------------------------------------

    def launch(
        self, *, run_ticket: str, appid: str, path: str, query: str = "", user_key: str
    ) -> Launch:
        """Launch ``appid`` for the user whose run ticket this is; open ``launch_url`` in the
        mini-program container. ``user_key`` must be the one passed to ``check``."""
        return self._driver.run(
            self._flows.launch(
                run_ticket=run_ticket, appid=appid, path=path, query=query, user_key=user_key
            )
        )


class AsyncHostClient(_HostBase):
    """``HostClient`` for asyncio (``httpx.AsyncClient``); the same methods, awaited."""

    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        client_secret: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        issuer: str | None = None,
        check_cache_size: int = 1024,
    ) -> None:
        super().__init__(
            base_url,
            client_id=client_id,
            client_secret=client_secret,
            timeout=timeout,
            retry=retry,
            clock=clock,
            issuer=issuer,
            check_cache_size=check_cache_size,
        )
        http = httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
        self._driver = AsyncDriver(http, self._retry)

    async def aclose(self) -> None:
        await self._driver.aclose()

    async def __aenter__(self) -> AsyncHostClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def discovery(self) -> dict[str, Any]:
        return dict(await self._driver.run(self._flows.discovery()))

    async def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        expected_state: str | None = None,
        returned_state: str | None = None,
        returned_iss: str | None = None,
    ) -> TokenSet:
        return await self._driver.run(
            self._flows.exchange_code(
                code=code,
                redirect_uri=redirect_uri,
                code_verifier=code_verifier,
                expected_state=expected_state,
                returned_state=returned_state,
                returned_iss=returned_iss,
            )
        )

    async def complete_authorization(
        self, start: AuthorizationStart, params: Mapping[str, str]
    ) -> AuthorizationResult:
        return await self._driver.run(self._flows.complete_authorization(start, params))

    async def verify_id_token(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        return await self._driver.run(
            self._flows.verify_id_token(id_token, nonce=nonce, access_token=access_token)
        )

    async def refresh(self, refresh_token: str, *, scope: str | None = None) -> TokenSet:
        return await self._driver.run(self._flows.refresh(refresh_token, scope=scope))

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        return await self._driver.run(self._flows.userinfo(access_token))

    async def introspect(self, token: str, *, token_type_hint: str | None = None) -> dict[str, Any]:
        return await self._driver.run(
            self._flows.introspect(token, token_type_hint=token_type_hint)
        )

    async def revoke(self, token: str, token_type_hint: str | None = None) -> None:
        await self._driver.run(self._flows.revoke(token, token_type_hint=token_type_hint))

    async def client_token(self) -> str:
        return await self._driver.run(self._flows.client_token())

    async def check(self, *, user_key: str, items: Sequence[str]) -> list[PortCheck]:
        return await self._driver.run(self._flows.check(user_key=user_key, items=items))

    async def apply_port(self, *, appid: str, reason: str) -> dict[str, Any]:
        return await self._driver.run(self._flows.apply_port(appid=appid, reason=reason))

    async def list_ports(self, *, state: str | None = None) -> list[dict[str, Any]]:
        return await self._driver.run(self._flows.list_ports(state=state))

    async def get_port(self, port_id: int) -> dict[str, Any]:
        return await self._driver.run(self._flows.get_port(port_id))

    async def withdraw_port(self, port_id: int, *, reason: str = "") -> dict[str, Any]:
        return await self._driver.run(self._flows.withdraw_port(port_id, reason=reason))

    async def launch(
        self, *, run_ticket: str, appid: str, path: str, query: str = "", user_key: str
    ) -> Launch:
        return await self._driver.run(
            self._flows.launch(
                run_ticket=run_ticket, appid=appid, path=path, query=query, user_key=user_key
            )
        )
