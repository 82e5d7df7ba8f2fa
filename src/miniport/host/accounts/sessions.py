"""Signed-in browsers: a random cookie value per browser, stored only as its SHA-256 digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from miniport.common.tokens import digest, new_secret
from miniport.host.accounts.models import BrowserSession, User

# new_secret() values are 43 characters; anything far longer is not ours and is not hashed.
_MAX_COOKIE_LENGTH = 128


@dataclass(frozen=True, slots=True)
class SignedIn:
    user_id: int
    username: str
    display_name: str


def start_session(session: Session, *, user_id: int, now: datetime, lifetime: timedelta) -> str:
    """Record a sign-in; returns the value for the cookie.

    Always a new value, so a session id planted in the browser before sign-in (session
    fixation) never becomes a signed-in session.
    """
    session.execute(
        delete(BrowserSession).where(
            BrowserSession.user_id == user_id, BrowserSession.expires_at <= now
        )
    )
    value = new_secret()
    session.add(
        BrowserSession(
            digest=digest(value), user_id=user_id, created_at=now, expires_at=now + lifetime
        )
    )
    session.flush()
    return value


def current_signin(session: Session, cookie_value: str | None, now: datetime) -> SignedIn | None:
    """Who the browser presenting ``cookie_value`` is signed in as, if anyone."""
    if not cookie_value or len(cookie_value) > _MAX_COOKIE_LENGTH:
        return None
    row = session.execute(
        select(BrowserSession.expires_at, User.id, User.username, User.display_name)
        .join(User, User.id == BrowserSession.user_id)
        .where(BrowserSession.digest == digest(cookie_value))
    ).first()
    if row is None or row.expires_at <= now:
        return None
    return SignedIn(user_id=row.id, username=row.username, display_name=row.display_name)


def end_session(session: Session, cookie_value: str | None) -> None:
    """Forget the browser's session server-side, so a copied cookie stops working too."""
    if not cookie_value or len(cookie_value) > _MAX_COOKIE_LENGTH:
        return
    session.execute(delete(BrowserSession).where(BrowserSession.digest == digest(cookie_value)))
