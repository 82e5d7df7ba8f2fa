"""RFC 6749 §4.1.3 — exchanging an authorization code, with the RFC 7636 verifier."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from miniport.common.tokens import digest
from miniport.platform.oauth import pkce, token_store
from miniport.platform.oauth.client_auth import Client
from miniport.platform.oauth.errors import InvalidGrant, InvalidRequest
from miniport.platform.oauth.grants.issuance import GrantContext, TokenResponse, mint_user_tokens
from miniport.platform.oauth.models import AuthorizationCode


class CodeReplayed(InvalidGrant):
    """A code presented twice. Its tokens were revoked; the caller must commit that."""


def exchange_code(
    session: Session,
    context: GrantContext,
    *,
    host: Client,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> TokenResponse:
    if not code:
        raise InvalidRequest("code is required")
    if not redirect_uri:
        raise InvalidRequest("redirect_uri is required")
    row = session.get(AuthorizationCode, digest(code))
    # One message for every failure below, so a caller learns nothing about other clients'
    # codes from the difference.
    if row is None or row.client_id != host.client_id:
        raise InvalidGrant("the authorization code is invalid")
    # Claim the code atomically: of two concurrent exchanges only one updates the row.
    claimed = session.execute(
        update(AuthorizationCode)
        .where(AuthorizationCode.digest == row.digest, AuthorizationCode.used_at.is_(None))
        .values(used_at=context.now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        # RFC 6749 §4.1.2: a code used twice may have been stolen; revoke what it minted.
        token_store.revoke_family(session, row.family, context.now)
        raise CodeReplayed("the authorization code was already used")
    if row.expires_at <= context.now:
        raise InvalidGrant("the authorization code has expired")
    if redirect_uri != row.redirect_uri:
        raise InvalidGrant("redirect_uri does not match the authorization request")
    pkce.verify(code_verifier, row.code_challenge)
    return mint_user_tokens(
        session,
        context,
        host=host,
        user_id=row.user_id,
        family=row.family,
        scope=row.scope,
        details=row.authorization_details,
        auth_time=row.auth_time,
        nonce=row.nonce,
    )
