"""Signed-in browsers: a random cookie value per browser, stored only as its SHA-256 digest.

Whoever reads the ``browser_sessions`` table (a backup, a leaked replica) learns no cookie
that would let them act as a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from miniport.common.tokens import digest, new_secret
from miniport.platform.accounts.models import BrowserSession, User

# new_secret() values are 43 characters; anything far longer is not ours and is not hashed.
_MAX_COOKIE_LENGTH = 128


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    username: str
    display_name: str
    auth_time: datetime


def start_session(session: Session, *, user_id: int, now: datetime, lifetime: timedelta) -> str:
    """Record a fresh sign-in (``auth_time`` = ``now``); returns the value for the cookie.

    A new value every time, never a reused one, so a session id planted in the browser
    before sign-in (session fixation) never becomes a signed-in session.
    """
    # Housekeeping while we hold the row lock anyway: the user's expired sessions go.
    session.execute(
        delete(BrowserSession).where(
            BrowserSession.user_id == user_id, BrowserSession.expires_at <= now
        )
    )
    value = new_secret()
    session.add(
        BrowserSession(
            digest=digest(value),
            user_id=user_id,
            auth_time=now,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return value


def current_signin(session: Session, cookie_value: str | None, now: datetime) -> SignedIn | None:
    """Who the browser presenting ``cookie_value`` is signed in as, if anyone (and unblocked)."""
    if not cookie_value or len(cookie_value) > _MAX_COOKIE_LENGTH:
        return None
    row = session.execute(
        select(BrowserSession, User)
        .join(User, User.id == BrowserSession.user_id)
        .where(BrowserSession.digest == digest(cookie_value))
    ).first()
    if row is None:
        return None
    browser, user = row
    if browser.expires_at <= now or user.blocked:
        return None
    return SignedIn(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        auth_time=browser.auth_time,
    )


def end_session(session: Session, cookie_value: str | None) -> None:
    """Forget the browser's session server-side, so a copied cookie stops working too."""
    if not cookie_value or len(cookie_value) > _MAX_COOKIE_LENGTH:
        return
    session.execute(delete(BrowserSession).where(BrowserSession.digest == digest(cookie_value)))
