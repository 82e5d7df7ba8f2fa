"""RFC 6749 §4.4 — a host app's own token, for calling the platform's partner APIs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from miniport.common.tokens import new_secret
from miniport.platform.oauth import token_store
from miniport.platform.oauth.client_auth import Client
from miniport.platform.oauth.errors import InvalidScope
from miniport.platform.oauth.grants.issuance import GrantContext, TokenResponse

# "ports": check, apply for and list the host's ports (the partner API of the port work).
CLIENT_SCOPES = frozenset({"ports"})
DEFAULT_CLIENT_SCOPE = "ports"


def client_token(
    session: Session, context: GrantContext, *, host: Client, scope: str | None
) -> TokenResponse:
    requested = list(dict.fromkeys(scope.split())) if scope else [DEFAULT_CLIENT_SCOPE]
    unknown = set(requested) - CLIENT_SCOPES
    if unknown:
        raise InvalidScope(f"unsupported scope: {' '.join(sorted(unknown))}")
    granted = " ".join(requested)
    access = token_store.issue(
        session,
        kind=token_store.ACCESS,
        family=new_secret(16),
        client_id=host.client_id,
        user_id=None,
        scope=granted,
        authorization_details=(),
        auth_time=None,
        now=context.now,
    )
    return TokenResponse(
        access_token=access,
        expires_in=int(token_store.ACCESS_TOKEN_LIFETIME.total_seconds()),
        scope=granted,
    )
