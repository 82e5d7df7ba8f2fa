"""The miniport SDK: a typed client for the platform's three API faces.

- ``HostClient`` / ``AsyncHostClient`` — a host app's server: OpenID Connect (authorize with
  PKCE, code exchange, ID token verification, refresh, userinfo, introspection, revocation),
  the host's ports (``check``, apply, list, withdraw) and launching mini programs.
- ``MiniProgramClient`` / ``AsyncMiniProgramClient`` — a mini program's server: access
  tokens, ``jscode2session``, URL links, and the brand's port governance.
- ``verify_webhook`` — check a webhook delivery's Standard Webhooks signature.

Exceptions live in ``miniport.sdk.errors`` (its docstring draws the hierarchy); the families
are re-exported here. The SDK depends on httpx, joserfc and standardwebhooks only: it does
not import the platform's code, exactly as a partner's deployment would not have it.
"""

from miniport.sdk.errors import (
    ApiError,
    AuthorizationResponseError,
    IdTokenError,
    MiniportError,
    OAuthError,
    PortApiError,
    PortClosed,
    TransportError,
    UnexpectedResponse,
    WebhookVerificationError,
)
from miniport.sdk.host import AsyncHostClient, HostClient
from miniport.sdk.miniprogram import AsyncMiniProgramClient, MiniProgramClient
from miniport.sdk.models import (
    AuthorizationResult,
    AuthorizationStart,
    CloseCategory,
    Launch,
    MiniProgramCard,
    MiniProgramSession,
    PortCheck,
    PortPolicy,
    ReportedOrder,
    TokenSet,
    WebhookEvent,
)
from miniport.sdk.retries import RetryPolicy
from miniport.sdk.webhooks import verify_webhook

__all__ = [
    "ApiError",
    "AsyncHostClient",
    "AsyncMiniProgramClient",
    "AuthorizationResponseError",
    "AuthorizationResult",
    "AuthorizationStart",
    "CloseCategory",
    "HostClient",
    "IdTokenError",
    "Launch",
    "MiniProgramCard",
    "MiniProgramClient",
    "MiniProgramSession",
    "ReportedOrder",
    "MiniportError",
    "OAuthError",
    "PortApiError",
    "PortCheck",
    "PortClosed",
    "PortPolicy",
    "RetryPolicy",
    "TokenSet",
    "TransportError",
    "UnexpectedResponse",
    "WebhookEvent",
    "WebhookVerificationError",
    "verify_webhook",
]
