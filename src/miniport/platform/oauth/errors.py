"""OAuth 2.0 / OpenID Connect error classes (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6).

Every error is its own small class carrying the registered ``error`` code and the HTTP status
the token-style endpoints answer with. The web layer maps them once: to JSON on the token,
introspection and revocation endpoints, to a redirect on the authorization endpoint (when the
redirect URI is trusted), or to an error page (when it is not).
"""

from __future__ import annotations


class OAuthError(Exception):
    error = "server_error"
    status_code = 400

    def __init__(self, description: str = "") -> None:
        super().__init__(description or self.error)
        self.description = description

    def as_dict(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """Client authentication failed (RFC 6749 §5.2): 401 with a WWW-Authenticate challenge."""

    error = "invalid_client"
    status_code = 401


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class AccessDenied(OAuthError):
    error = "access_denied"
    status_code = 403


class InvalidAuthorizationDetails(OAuthError):
    """RFC 9396 §5."""

    error = "invalid_authorization_details"


class LoginRequired(OAuthError):
    error = "login_required"


class ConsentRequired(OAuthError):
    error = "consent_required"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: the bearer token is missing, expired, revoked or malformed."""

    error = "invalid_token"
    status_code = 401


class InsufficientScope(OAuthError):
    error = "insufficient_scope"
    status_code = 403


class UnsupportedTokenType(OAuthError):
    """RFC 7009 §2.2.1."""

    error = "unsupported_token_type"


class UntrustedRedirect(Exception):
    """The client or redirect URI cannot be trusted, so the user sees a page, not a redirect.

    RFC 6749 §4.1.2.1: redirecting to an unverified URI would make the platform an open
    redirector and could leak the error (or a later code) to an attacker.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RequestNotSupported(OAuthError):
    """OIDC Core §3.1.2.6: request objects are not accepted."""

    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"
