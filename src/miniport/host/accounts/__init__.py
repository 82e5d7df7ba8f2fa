"""The host app's own accounts: users, argon2id passwords and signed-in browser sessions."""

from miniport.host.accounts.passwords import PasswordHasher
from miniport.host.accounts.sessions import SignedIn, current_signin, end_session, start_session
from miniport.host.accounts.users import (
    MAX_PASSWORD_LENGTH,
    AccountError,
    InvalidUsername,
    UsernameTaken,
    WeakPassword,
    authenticate,
    create_user,
    find_user,
)

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "AccountError",
    "InvalidUsername",
    "PasswordHasher",
    "SignedIn",
    "UsernameTaken",
    "WeakPassword",
    "authenticate",
    "create_user",
    "current_signin",
    "end_session",
    "find_user",
    "start_session",
]
