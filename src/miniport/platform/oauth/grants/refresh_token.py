"""RFC 6749 §6 — refreshing, with rotation and reuse detection (OAuth 2.0 Security BCP §4.14).

Each refresh returns a new refresh token and retires the old one. A retired refresh token
presented again means two parties hold it, so the whole family is revoked.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from miniport.platform.oauth import token_store
from miniport.platform.oauth.client_auth import Client
from miniport.platform.oauth.errors import InvalidGrant, InvalidRequest, InvalidScope
from miniport.platform.oauth.grants.issuance import GrantContext, TokenResponse, mint_user_tokens


class RefreshReplayed(InvalidGrant):
    """A rotated refresh token presented again. Its family was revoked; commit that."""


def refresh(
    session: Session,
    context: GrantContext,
    *,
    host: Client,
    refresh_token: str | None,
    scope: str | None,
) -> TokenResponse:
    if not refresh_token:
        raise InvalidRequest("refresh_token is required")
    row = token_store.find_row(session, refresh_token)
    if row is None or row.kind != token_store.REFRESH or row.client_id != host.client_id:
        raise InvalidGrant("the refresh token is invalid")
    if row.revoked_at is not None:
        raise InvalidGrant("the refresh token was revoked")
    if row.used_at is not None or not token_store.claim_refresh(session, row, context.now):
        token_store.revoke_family(session, row.family, context.now)
        raise RefreshReplayed("the refresh token was already used; its grant is revoked")
    if row.expires_at <= context.now:
        raise InvalidGrant("the refresh token has expired")
    if row.user_id is None or row.auth_time is None:
        raise InvalidGrant("the refresh token is invalid")
    granted = row.scope.split()
    requested = scope.split() if scope else granted
    if not set(requested) <= set(granted):
        raise InvalidScope("a refresh cannot widen the granted scope")
    return mint_user_tokens(
        session,
        context,
        host=host,
        user_id=row.user_id,
        family=row.family,
        scope=" ".join(dict.fromkeys(requested)),
        details=row.authorization_details,
        auth_time=row.auth_time,
        nonce=None,
    )
