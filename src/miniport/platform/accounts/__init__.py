"""People's accounts: users, passwords, signed-in browser sessions and sign-in throttling."""

from miniport.platform.accounts.redirects import DEFAULT_AFTER_SIGNIN, safe_next
from miniport.platform.accounts.sessions import (
    SignedIn,
    current_signin,
    end_session,
    start_session,
)
from miniport.platform.accounts.throttle import (
    SigninLimits,
    blocked_for,
    clear_account,
    record_failure,
)

__all__ = [
    "DEFAULT_AFTER_SIGNIN",
    "SignedIn",
    "SigninLimits",
    "blocked_for",
    "clear_account",
    "current_signin",
    "end_session",
    "record_failure",
    "safe_next",
    "start_session",
]
