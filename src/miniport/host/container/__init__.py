"""The mini-program container: platform authorization, run tickets kept server-side, launch."""

from miniport.host.container.flow import (
    AuthorizationNotFound,
    AuthorizationOfOtherUser,
    ContainerError,
    OpenRequest,
    Pending,
    finish_authorization,
    forget_ticket,
    launch,
    live_ticket,
    start_authorization,
    store_tokens,
    stored_refresh_token,
    take_pending,
)
from miniport.host.container.return_to import safe_return
from miniport.host.container.sealing import Sealer, SealError

__all__ = [
    "AuthorizationNotFound",
    "AuthorizationOfOtherUser",
    "ContainerError",
    "OpenRequest",
    "Pending",
    "SealError",
    "Sealer",
    "finish_authorization",
    "forget_ticket",
    "launch",
    "live_ticket",
    "safe_return",
    "start_authorization",
    "store_tokens",
    "stored_refresh_token",
    "take_pending",
]
