"""Creating host users and checking their passwords."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.host.accounts.models import User
from miniport.host.accounts.passwords import PasswordHasher

USERNAME_PATTERN = re.compile(r"^[a-z0-9_.-]{3,32}$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MAX_DISPLAY_NAME = 64


class AccountError(ValueError):
    """A problem with what someone typed into the sign-up form."""


class UsernameTaken(AccountError):
    pass


class InvalidUsername(AccountError):
    pass


class WeakPassword(AccountError):
    pass


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def create_user(
    session: Session,
    hasher: PasswordHasher,
    *,
    username: str,
    display_name: str,
    password: str,
    bio: str = "",
) -> User:
    """Add a user (flushed, not committed). Usernames are case-insensitive, stored lowercase."""
    normalized = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(normalized):
        raise InvalidUsername("username must be 3-32 letters, digits, '.', '_' or '-'")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword(
            f"password must be {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters"
        )
    if find_user(session, normalized) is not None:
        raise UsernameTaken(f"username {normalized!r} is taken")
    user = User(
        username=normalized,
        display_name=display_name.strip()[:MAX_DISPLAY_NAME] or normalized,
        password_hash=hasher.hash(password),
        bio=bio,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, hasher: PasswordHasher, *, username: str, password: str
) -> User | None:
    """The user when the password is right; ``None`` otherwise, in the same time either way."""
    user = find_user(session, username)
    if not hasher.verify(user.password_hash if user else None, password):
        return None
    if user is None:
        return None
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user
