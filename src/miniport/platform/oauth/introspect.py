"""RFC 7662 — token introspection, for authenticated clients and their own tokens only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from miniport.platform.identifiers import IdentifierDeriver
from miniport.platform.oauth import token_store

INACTIVE: dict[str, Any] = {"active": False}


def describe(
    info: token_store.TokenInfo | None,
    *,
    caller_client_id: str,
    issuer: str,
    identifiers: IdentifierDeriver,
    now: dt.datetime,
) -> dict[str, Any]:
    """The introspection response for a looked-up token.

    A client learns nothing about tokens issued to another client: they read as inactive,
    exactly like unknown ones (§2.2 lets the server decide, and this avoids a token oracle).
    """
    if info is None or not info.is_live(now) or info.client_id != caller_client_id:
        return INACTIVE
    body: dict[str, Any] = {
        "active": True,
        "scope": info.scope,
        "client_id": info.client_id,
        "token_type": "Bearer" if info.kind == token_store.ACCESS else "refresh_token",
        "exp": int(info.expires_at.timestamp()),
        "iat": int(info.created_at.timestamp()),
        "iss": issuer,
        "aud": info.client_id,
    }
    if info.user_id is not None:
        body["sub"] = identifiers.host_subject(user_id=info.user_id, client_id=info.client_id)
    if info.authorization_details:
        body["authorization_details"] = list(info.authorization_details)
    return body
