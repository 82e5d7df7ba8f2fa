"""Exceptions raised by the miniport SDK, one class per error the platform documents.

The hierarchy::

    MiniportError
     ├── TransportError               the network failed (after the retries an idempotent call
     │                                gets); ``attempts`` says how many were made
     ├── UnexpectedResponse           an answer of no documented shape (an HTML 502 from a
     │                                proxy, a body that is not JSON); ``status_code``, ``body``
     ├── OAuthError                   RFC 6749 §5.2 JSON: ``error``, ``description``,
     │    │                           ``status_code`` (standards face: /token, /userinfo, …)
     │    ├── InvalidRequest                 invalid_request
     │    ├── InvalidClient                  invalid_client (wrong client id or secret)
     │    ├── InvalidGrant                   invalid_grant (code or refresh token dead, PKCE)
     │    ├── UnauthorizedClient             unauthorized_client
     │    ├── UnsupportedGrantType           unsupported_grant_type
     │    ├── UnsupportedResponseType        unsupported_response_type
     │    ├── InvalidScope                   invalid_scope
     │    ├── AccessDenied                   access_denied (the user said no, or the port is shut)
     │    ├── InvalidAuthorizationDetails    invalid_authorization_details (RFC 9396)
     │    ├── LoginRequired                  login_required (prompt=none)
     │    ├── ConsentRequired                consent_required (prompt=none)
     │    ├── InvalidToken                   invalid_token (RFC 6750: missing, expired, revoked)
     │    ├── InsufficientScope              insufficient_scope
     │    ├── UnsupportedTokenType           unsupported_token_type (RFC 7009)
     │    ├── ServerError                    server_error
     │    └── TemporarilyUnavailable         temporarily_unavailable
     ├── ApiError                     mini-program face: ``errcode``, ``errmsg`` (HTTP 200 bodies)
     │    ├── SystemBusy                     -1     retry later
     │    ├── InvalidCredential              40001  access token or run ticket not valid
     │    ├── InvalidGrantType               40002
     │    ├── InvalidAppId                   40013
     │    ├── InvalidCode                    40029  js_code unknown, used, expired or revoked
     │    ├── InvalidParameters              40097  a parameter of the wrong type or value
     │    ├── InvalidSecret                  40125
     │    ├── InvalidPagePath                40165
     │    ├── InvalidQuery                   40212
     │    ├── BlockedUser                    40226
     │    ├── AccessTokenExpired             42001
     │    ├── QuotaReached                   45009  a daily quota is spent
     │    ├── RateLimited                    45011
     │    ├── MalformedData                  47001
     │    ├── ExpiryOutOfRange               85401
     │    └── PortClosed                     89300  miniport's own; ``reason`` is the decision's
     │                                              reason code (port_closed, host_suspended, …)
     ├── PortApiError                 governance face JSON: ``error``, ``description``,
     │    │                           ``status_code`` (/api/ports…, /api/brand/…)
     │    ├── InvalidPortRequest             invalid_request (400)
     │    ├── InvalidStaging                 invalid_staging (400)
     │    ├── NotAllowed                     not_allowed (403)
     │    ├── PortNotFound                   port_not_found (404)
     │    ├── IllegalTransition              illegal_transition (409)
     │    └── StaleVersion                   stale_version (409)
     ├── AuthorizationResponseError   the redirect back does not belong to this request: state
     │                                or iss differ (CSRF, RFC 9207 mix-up), or no code came
     ├── IdTokenError                 an ID token failed verification (signature, iss, aud,
     │                                exp, nonce, at_hash)
     └── WebhookVerificationError     a webhook's signature, timestamp or payload is not valid

A code the SDK does not know maps to its family's base class (``OAuthError``, ``ApiError``,
``PortApiError``), so new platform codes never crash a partner's error handling.

The ports API also answers token problems (``invalid_token``, ``insufficient_scope``) in the
OAuth format, so a stale bearer token on a ports call raises ``InvalidToken``, as on
``/userinfo``.
"""

from __future__ import annotations


class MiniportError(Exception):
    """Base class of every exception the SDK raises on purpose."""


class TransportError(MiniportError):
    """The request did not get an answer: connection refused or reset, DNS, timeout.

    Raised after the last attempt; ``attempts`` counts them (1 for calls that are never
    retried). The ``httpx`` exception is the ``__cause__``.
    """

    def __init__(self, message: str, *, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class UnexpectedResponse(MiniportError):
    """An answer that is none of the documented shapes (success or error)."""

    def __init__(self, message: str, *, status_code: int, body: str = "") -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body[:500]


# --- standards face: RFC 6749 §5.2 error JSON ------------------------------------------------


class OAuthError(MiniportError):
    """An OAuth 2.0 / OpenID Connect error answer (or an ``error`` in the redirect back)."""

    error: str = ""

    def __init__(self, error: str, description: str | None = None, status_code: int = 400) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error  # the code actually sent, also for unknown codes
        self.description = description
        self.status_code = status_code


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    error = "invalid_client"


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


class InvalidAuthorizationDetails(OAuthError):
    error = "invalid_authorization_details"


class LoginRequired(OAuthError):
    error = "login_required"


class ConsentRequired(OAuthError):
    error = "consent_required"


class InvalidToken(OAuthError):
    error = "invalid_token"


class InsufficientScope(OAuthError):
    error = "insufficient_scope"


class UnsupportedTokenType(OAuthError):
    error = "unsupported_token_type"


class ServerError(OAuthError):
    error = "server_error"


class TemporarilyUnavailable(OAuthError):
    error = "temporarily_unavailable"


_OAUTH_ERRORS: dict[str, type[OAuthError]] = {
    cls.error: cls
    for cls in (
        InvalidRequest,
        InvalidClient,
        InvalidGrant,
        UnauthorizedClient,
        UnsupportedGrantType,
        UnsupportedResponseType,
        InvalidScope,
        AccessDenied,
        InvalidAuthorizationDetails,
        LoginRequired,
        ConsentRequired,
        InvalidToken,
        InsufficientScope,
        UnsupportedTokenType,
        ServerError,
        TemporarilyUnavailable,
    )
}


def oauth_error(error: str, description: str | None = None, status_code: int = 400) -> OAuthError:
    """The exception for an OAuth ``error`` code: its own class, or ``OAuthError`` if unknown.

    Also what a host raises for ``?error=access_denied&…`` on its redirect URI.
    """
    return _OAUTH_ERRORS.get(error, OAuthError)(error, description, status_code)


# --- mini-program face: {"errcode", "errmsg"} -------------------------------------------------


class ApiError(MiniportError):
    """A non-zero ``errcode`` from the mini-program API."""

    errcode: int = 0

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode  # the code actually sent, also for unknown codes
        self.errmsg = errmsg


class SystemBusy(ApiError):
    errcode = -1


class InvalidCredential(ApiError):
    errcode = 40001


class InvalidGrantType(ApiError):
    errcode = 40002


class InvalidAppId(ApiError):
    errcode = 40013


class InvalidCode(ApiError):
    errcode = 40029


class InvalidParameters(ApiError):
    errcode = 40097


class InvalidSecret(ApiError):
    errcode = 40125


class InvalidPagePath(ApiError):
    errcode = 40165


class InvalidQuery(ApiError):
    errcode = 40212


class BlockedUser(ApiError):
    errcode = 40226


class AccessTokenExpired(ApiError):
    errcode = 42001


class QuotaReached(ApiError):
    errcode = 45009


class RateLimited(ApiError):
    errcode = 45011


class MalformedData(ApiError):
    errcode = 47001


class ExpiryOutOfRange(ApiError):
    errcode = 85401


class PortClosed(ApiError):
    """The platform does not let this host run this mini program now.

    ``reason`` is the port decision's reason code from ``errmsg`` (``port closed: <reason>``):
    ``port_closed``, ``host_suspended``, ``not_in_rollout``, ``trial_ended``, ``no_port``, …
    """

    errcode = 89300

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        prefix, colon, reason = errmsg.partition(":")
        self.reason = reason.strip() if colon and prefix.strip() == "port closed" else ""


_API_ERRORS: dict[int, type[ApiError]] = {
    cls.errcode: cls
    for cls in (
        SystemBusy,
        InvalidCredential,
        InvalidGrantType,
        InvalidAppId,
        InvalidCode,
        InvalidParameters,
        InvalidSecret,
        InvalidPagePath,
        InvalidQuery,
        BlockedUser,
        AccessTokenExpired,
        QuotaReached,
        RateLimited,
        MalformedData,
        ExpiryOutOfRange,
        PortClosed,
    )
}


def api_error(errcode: int, errmsg: str) -> ApiError:
    """The exception for an ``errcode``: its own class, or ``ApiError`` if unknown."""
    return _API_ERRORS.get(errcode, ApiError)(errcode, errmsg)


# --- governance face: {"error", "error_description"} ------------------------------------------


class PortApiError(MiniportError):
    """A refusal of the ports API (``/api/ports…``, ``/api/brand/…``)."""

    error: str = ""

    def __init__(self, error: str, description: str | None = None, status_code: int = 400) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error  # the code actually sent, also for unknown codes
        self.description = description
        self.status_code = status_code


class InvalidPortRequest(PortApiError):
    error = "invalid_request"


class InvalidStaging(PortApiError):
    error = "invalid_staging"


class NotAllowed(PortApiError):
    error = "not_allowed"


class PortNotFound(PortApiError):
    error = "port_not_found"


class IllegalTransition(PortApiError):
    error = "illegal_transition"


class StaleVersion(PortApiError):
    error = "stale_version"


_PORT_ERRORS: dict[str, type[PortApiError]] = {
    cls.error: cls
    for cls in (
        InvalidPortRequest,
        InvalidStaging,
        NotAllowed,
        PortNotFound,
        IllegalTransition,
        StaleVersion,
    )
}


def port_api_error(error: str, description: str | None, status_code: int) -> PortApiError:
    """The exception for a ports-API ``error``: its own class, or ``PortApiError``."""
    return _PORT_ERRORS.get(error, PortApiError)(error, description, status_code)


# --- checks the SDK makes itself --------------------------------------------------------------


class AuthorizationResponseError(MiniportError):
    """The redirect back to the host does not answer this authorization request.

    A different ``state`` means the response may have been planted (CSRF); a different
    ``iss`` means it may come from another authorization server (RFC 9207 mix-up attack).
    Never exchange the code in either case.
    """


class IdTokenError(MiniportError):
    """An ID token failed verification; the user must not be signed in with it."""


class WebhookVerificationError(MiniportError):
    """A webhook delivery is not authentic, too old or too new, or not a miniport event."""
