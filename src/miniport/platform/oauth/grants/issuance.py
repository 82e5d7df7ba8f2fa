"""Minting the token set a user grant returns (access, refresh and ID token)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from miniport.platform.identifiers import IdentifierDeriver
from miniport.platform.keys.keyring import Keyring
from miniport.platform.oauth import id_token, token_store
from miniport.platform.oauth.client_auth import Client


@dataclass(frozen=True)
class GrantContext:
    """What every grant needs besides the request: issuer, keys, identifier deriver, time."""

    issuer: str
    keyring: Keyring
    identifiers: IdentifierDeriver
    now: dt.datetime


@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None
    id_token: str | None = None
    authorization_details: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        if self.id_token is not None:
            body["id_token"] = self.id_token
        if self.authorization_details:
            body["authorization_details"] = self.authorization_details
        return body


def mint_user_tokens(
    session: Session,
    context: GrantContext,
    *,
    host: Client,
    user_id: int,
    family: str,
    scope: str,
    details: Sequence[dict[str, str]],
    auth_time: dt.datetime,
    nonce: str | None,
) -> TokenResponse:
    def issue(kind: str) -> str:
        return token_store.issue(
            session,
            kind=kind,
            family=family,
            client_id=host.client_id,
            user_id=user_id,
            scope=scope,
            authorization_details=details,
            auth_time=auth_time,
            now=context.now,
        )

    access = issue(token_store.ACCESS)
    refresh = issue(token_store.REFRESH)
    signed_id_token = None
    if "openid" in scope.split():
        signed_id_token = id_token.build(
            context.keyring,
            issuer=context.issuer,
            subject=context.identifiers.host_subject(user_id=user_id, client_id=host.client_id),
            audience=host.client_id,
            alg=host.id_token_signed_response_alg,
            auth_time=auth_time,
            nonce=nonce,
            access_token=access,
            now=context.now,
        )
    session.flush()
    return TokenResponse(
        access_token=access,
        expires_in=int(token_store.ACCESS_TOKEN_LIFETIME.total_seconds()),
        scope=scope,
        refresh_token=refresh,
        id_token=signed_id_token,
        authorization_details=list(details),
    )
