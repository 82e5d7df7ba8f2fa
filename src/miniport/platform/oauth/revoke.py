"""RFC 7009 — token revocation.

Revoking a refresh token revokes its whole grant (access tokens included, §2.1); revoking an
access token revokes just that one. Unknown tokens and other clients' tokens get the same
200 as success (§2.2), so the endpoint cannot be used to probe for valid tokens.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from miniport.platform.oauth import token_store
from miniport.platform.oauth.errors import InvalidRequest, UnsupportedTokenType

TOKEN_TYPE_HINTS = frozenset({"access_token", "refresh_token"})


def revoke(
    session: Session,
    *,
    caller_client_id: str,
    token: str | None,
    token_type_hint: str | None,
    now: dt.datetime,
) -> int:
    """Revoke and return how many tokens stopped working."""
    if not token:
        raise InvalidRequest("token is required")
    if token_type_hint is not None and token_type_hint not in TOKEN_TYPE_HINTS:
        raise UnsupportedTokenType("token_type_hint must be access_token or refresh_token")
    row = token_store.find_row(session, token)
    if row is None or row.client_id != caller_client_id:
        return 0
    if row.kind == token_store.REFRESH:
        return token_store.revoke_family(session, row.family, now)
    return token_store.revoke_one(session, row.digest, now)
