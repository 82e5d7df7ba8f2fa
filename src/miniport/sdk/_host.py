"""The host app's flows (OpenID Connect, ports, launch) and the state they cache.

Shared by ``HostClient`` and ``AsyncHostClient``: each client owns one ``HostFlows`` and
runs its flows with its driver. Cached here: the discovery document, the JWKS, the host's
``client_credentials`` token, and the last ``check`` answer per (user key, items) with its
ETag.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from joserfc.jwk import KeySet

from miniport.sdk import _responses as responses
from miniport.sdk import oidc
from miniport.sdk._flow import Call, Flow
from miniport.sdk._requests import HostRequests
from miniport.sdk._tokens import CachedToken, Clock
from miniport.sdk.errors import (
    AuthorizationResponseError,
    IdTokenError,
    InvalidToken,
    UnexpectedResponse,
    oauth_error,
)
from miniport.sdk.models import AuthorizationResult, AuthorizationStart, Launch, PortCheck, TokenSet

T = TypeVar("T")

PORTS_SCOPE = "ports"


class HostFlows:
    def __init__(
        self,
        requests: HostRequests,
        *,
        client_id: str,
        clock: Clock,
        issuer: str | None = None,
        check_cache_size: int = 1024,
    ) -> None:
        self.requests = requests
        self.client_id = client_id
        self.clock = clock
        self.expected_issuer = (issuer or requests.base_url).rstrip("/")
        self._discovery: dict[str, Any] | None = None
        self._jwks: KeySet | None = None
        self._client_token: CachedToken | None = None
        self._checks: OrderedDict[tuple[str, tuple[str, ...]], tuple[str, list[PortCheck]]] = (
            OrderedDict()
        )
        self._check_cache_size = check_cache_size
        self._checks_lock = threading.Lock()  # a sync client may serve several threads

    # --- OpenID Connect ------------------------------------------------------------------

    def discovery(self) -> Flow[dict[str, Any]]:
        if self._discovery is None:
            metadata = yield from Call(
                self.requests.discovery(), responses.discovery, idempotent=True
            )
            # OIDC Discovery §4.3: the issuer must be the one we meant to talk to, or every
            # later issuer check would compare against an attacker's value.
            if metadata["issuer"].rstrip("/") != self.expected_issuer:
                raise UnexpectedResponse(
                    f"the discovery document names issuer {metadata['issuer']!r}, "
                    f"expected {self.expected_issuer!r}",
                    status_code=200,
                )
            self._discovery = metadata
        return self._discovery

    def new_authorization(
        self,
        *,
        redirect_uri: str,
        appid: str,
        path: str,
        scope: str,
        prompt: str | None,
        login_hint: str | None,
    ) -> AuthorizationStart:
        return oidc.start_authorization(
            self.requests.base_url + "/authorize",
            client_id=self.client_id,
            redirect_uri=redirect_uri,
            appid=appid,
            path=path,
            scope=scope,
            prompt=prompt,
            login_hint=login_hint,
        )

    def exchange_code(
        self,
        *,
        code: str,
        redirect_uri: str,
        code_verifier: str,
        expected_state: str | None,
        returned_state: str | None,
        returned_iss: str | None,
        require_iss: bool = False,
    ) -> Flow[TokenSet]:
        oidc.check_response_state(expected_state, returned_state)
        if returned_iss is not None or require_iss:
            metadata = yield from self.discovery()
            required = require_iss and bool(
                metadata.get("authorization_response_iss_parameter_supported")
            )
            oidc.check_response_issuer(metadata["issuer"], returned_iss, required=required)
        # Never retried: a code is single use, and a second attempt after a lost answer
        # would be refused as a replay (and make the platform revoke what the first issued).
        return (
            yield from Call(
                self.requests.authorization_code(
                    code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
                ),
                responses.token_set(self.clock),
                idempotent=False,
            )
        )

    def complete_authorization(
        self, start: AuthorizationStart, params: Mapping[str, str]
    ) -> Flow[AuthorizationResult]:
        # Check state before anything else, also on errors: an error response with a foreign
        # state was not caused by this request.
        oidc.check_response_state(start.state, params.get("state"))
        if "error" in params:
            metadata = yield from self.discovery()
            oidc.check_response_issuer(metadata["issuer"], params.get("iss"), required=False)
            raise oauth_error(params["error"], params.get("error_description"))
        code = params.get("code")
        if not code:
            raise AuthorizationResponseError("the authorization response carries no code")
        tokens = yield from self.exchange_code(
            code=code,
            redirect_uri=start.redirect_uri,
            code_verifier=start.code_verifier,
            expected_state=start.state,
            returned_state=params.get("state"),
            returned_iss=params.get("iss"),
            require_iss=True,
        )
        if tokens.id_token is None:
            raise IdTokenError("the token response carries no ID token although openid was asked")
        claims = yield from self.verify_id_token(
            tokens.id_token, nonce=start.nonce, access_token=tokens.access_token
        )
        return AuthorizationResult(tokens=tokens, claims=claims)

    def _fetch_jwks(self, metadata: Mapping[str, Any]) -> Flow[KeySet]:
        keys = yield from Call(
            self.requests.jwks(metadata["jwks_uri"]), responses.key_set, idempotent=True
        )
        self._jwks = keys
        return keys

    def verify_id_token(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> Flow[dict[str, Any]]:
        metadata = yield from self.discovery()
        kid = oidc.unverified_header(id_token).get("kid")
        keys = self._jwks
        if keys is None or (kid is not None and not oidc.has_key(keys, kid)):
            # Unknown kid: the platform may have rotated its keys since we fetched them.
            # Refetch once; a kid still unknown fails verification below.
            keys = yield from self._fetch_jwks(metadata)
        return oidc.verify_id_token(
            id_token,
            keys=keys,
            algorithms=metadata.get("id_token_signing_alg_values_supported") or ["RS256"],
            issuer=metadata["issuer"],
            client_id=self.client_id,
            nonce=nonce,
            access_token=access_token,
            now=self.clock(),
        )

    def refresh(self, refresh_token: str, *, scope: str | None = None) -> Flow[TokenSet]:
        # Never retried: refresh tokens rotate, so a lost answer already spent this one.
        return (
            yield from Call(
                self.requests.refresh_token(refresh_token, scope=scope),
                responses.token_set(self.clock),
                idempotent=False,
            )
        )

    def userinfo(self, access_token: str) -> Flow[dict[str, Any]]:
        return (
            yield from Call(
                self.requests.userinfo(access_token), responses.oauth_object, idempotent=True
            )
        )

    def introspect(self, token: str, *, token_type_hint: str | None) -> Flow[dict[str, Any]]:
        return (
            yield from Call(
                self.requests.introspect(token, token_type_hint=token_type_hint),
                responses.oauth_object,
                idempotent=True,
            )
        )

    def revoke(self, token: str, *, token_type_hint: str | None) -> Flow[None]:
        return (
            yield from Call(
                self.requests.revoke(token, token_type_hint=token_type_hint),
                responses.oauth_empty,
                idempotent=True,
            )
        )

    def client_token(self) -> Flow[str]:
        cached = self._client_token
        if cached is not None and cached.fresh(self.clock()):
            return cached.value
        tokens = yield from Call(
            self.requests.client_credentials(scope=PORTS_SCOPE),
            responses.token_set(self.clock),
            idempotent=True,
        )
        self._client_token = CachedToken.expiring(
            tokens.access_token, now=self.clock(), expires_at=tokens.expires_at
        )
        return tokens.access_token

    # --- ports -----------------------------------------------------------------------------

    def _with_client_token(self, call: Callable[[str], Call[T]]) -> Flow[T]:
        """Run ``call`` with the cached client token; if the platform no longer knows that
        token (revoked, or its store was reset), fetch a new one and try once more."""
        was_cached = self._client_token is not None and self._client_token.fresh(self.clock())
        token = yield from self.client_token()
        try:
            return (yield from call(token))
        except InvalidToken:
            if not was_cached:
                raise
        self._client_token = None
        token = yield from self.client_token()
        return (yield from call(token))

    def check(self, *, user_key: str, items: Sequence[str]) -> Flow[list[PortCheck]]:
        key = (user_key, tuple(items))
        cached = self._checks.get(key)
        etag = cached[0] if cached is not None else None
        answer = yield from self._with_client_token(
            lambda token: Call(
                self.requests.check(token, user_key=user_key, items=items, etag=etag),
                responses.check_answer,
                idempotent=True,
            )
        )
        if answer.results is None:
            if cached is None:
                raise UnexpectedResponse(
                    "check answered 304 Not Modified to a request without If-None-Match",
                    status_code=304,
                )
            return list(cached[1])
        if answer.etag is not None:
            with self._checks_lock:
                self._checks[key] = (answer.etag, list(answer.results))
                self._checks.move_to_end(key)
                while len(self._checks) > self._check_cache_size:
                    self._checks.popitem(last=False)
        return answer.results

    def apply_port(self, *, appid: str, reason: str) -> Flow[dict[str, Any]]:
        return (
            yield from self._with_client_token(
                lambda token: Call(
                    self.requests.apply_port(token, appid=appid, reason=reason),
                    responses.ports_object,
                    idempotent=False,
                )
            )
        )

    def list_ports(self, *, state: str | None) -> Flow[list[dict[str, Any]]]:
        return (
            yield from self._with_client_token(
                lambda token: Call(
                    self.requests.list_ports(token, state=state),
                    responses.port_list,
                    idempotent=True,
                )
            )
        )

    def get_port(self, port_id: int) -> Flow[dict[str, Any]]:
        return (
            yield from self._with_client_token(
                lambda token: Call(
                    self.requests.get_port(token, port_id), responses.ports_object, idempotent=True
                )
            )
        )

    def withdraw_port(self, port_id: int, *, reason: str) -> Flow[dict[str, Any]]:
        return (
            yield from self._with_client_token(
                lambda token: Call(
                    self.requests.withdraw_port(token, port_id, reason=reason),
                    responses.ports_object,
                    idempotent=False,
                )
            )
        )

    # --- launch ----------------------------------------------------------------------------

    def launch(
        self, *, run_ticket: str, appid: str, path: str, query: str, user_key: str
    ) -> Flow[Launch]:
        # Never retried: each launch issues a fresh single-use code (and counts against the
        # port's daily quota).
        return (
            yield from Call(
                self.requests.launch(
                    run_ticket, appid=appid, path=path, query=query, user_key=user_key
                ),
                responses.launch,
                idempotent=False,
            )
        )
