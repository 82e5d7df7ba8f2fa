"""People's accounts: users, passwords, signed-in browser sessions and sign-in throttling.

The throttling policy is shared with the host (``miniport.common.signin_throttle``); its
counters live here, in ``models.SigninFailureWindow``.
"""

from miniport.platform.accounts.redirects import DEFAULT_AFTER_SIGNIN, safe_next
from miniport.platform.accounts.sessions import (
    SignedIn,
    current_signin,
    end_session,
    start_session,
)

__all__ = [
    "DEFAULT_AFTER_SIGNIN",
    "SignedIn",
    "current_signin",
    "end_session",
    "safe_next",
    "start_session",
]
