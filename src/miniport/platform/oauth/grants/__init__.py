"""RFC 6749 §4 grant types: authorization code (+PKCE), refresh token, client credentials."""

from miniport.platform.oauth.grants.authorization_code import exchange_code
from miniport.platform.oauth.grants.client_credentials import CLIENT_SCOPES, client_token
from miniport.platform.oauth.grants.issuance import GrantContext, TokenResponse
from miniport.platform.oauth.grants.refresh_token import refresh

__all__ = [
    "CLIENT_SCOPES",
    "GrantContext",
    "TokenResponse",
    "client_token",
    "exchange_code",
    "refresh",
]
