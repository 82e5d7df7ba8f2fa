"""Sign-in throttling: failed attempts counted per account and per client address.

Fixed windows: a key's window opens at its first failure and lasts ``window``; once a key
has ``limit`` failures in its open window, sign-in for it is refused (without checking the
password) until the window closes. Counting per account stops guessing one user's
password from many addresses; counting per address stops one address from trying a common
password against many accounts. Counters live in the database so every worker process
enforces the same limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniport.platform.accounts.models import SigninFailureWindow

_MAX_KEY_LENGTH = 160


@dataclass(frozen=True)
class SigninLimits:
    per_account: int
    per_address: int
    window: timedelta


def account_key(username: str) -> str:
    return ("account:" + username.strip().lower())[:_MAX_KEY_LENGTH]


def address_key(address: str) -> str:
    return ("address:" + address)[:_MAX_KEY_LENGTH]


def _keys(username: str, address: str, limits: SigninLimits) -> dict[str, int]:
    return {account_key(username): limits.per_account, address_key(address): limits.per_address}


def blocked_for(
    session: Session, *, username: str, address: str, now: datetime, limits: SigninLimits
) -> timedelta | None:
    """How long sign-in stays refused for this account or address; ``None`` when allowed."""
    keys = _keys(username, address, limits)
    rows = session.scalars(
        select(SigninFailureWindow).where(SigninFailureWindow.key.in_(keys))
    ).all()
    waits = [
        row.window_start + limits.window - now
        for row in rows
        if row.failures >= keys[row.key] and row.window_start + limits.window > now
    ]
    return max(waits) if waits else None


def record_failure(
    session: Session, *, username: str, address: str, now: datetime, limits: SigninLimits
) -> None:
    for key in _keys(username, address, limits):
        _count(session, key=key, now=now, window=limits.window)


def _count(session: Session, *, key: str, now: datetime, window: timedelta) -> None:
    # Increment in SQL, not in Python, so two workers failing at once both count.
    in_window = session.execute(
        update(SigninFailureWindow)
        .where(SigninFailureWindow.key == key, SigninFailureWindow.window_start > now - window)
        .values(failures=SigninFailureWindow.failures + 1)
        .execution_options(synchronize_session=False)
    )
    if in_window.rowcount:  # type: ignore[attr-defined]
        return
    restarted = session.execute(
        update(SigninFailureWindow)
        .where(SigninFailureWindow.key == key)
        .values(window_start=now, failures=1)
        .execution_options(synchronize_session=False)
    )
    if restarted.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(SigninFailureWindow(key=key, window_start=now, failures=1))
    except IntegrityError:
        # Another worker created the row between our UPDATE and INSERT; count on it.
        _count(session, key=key, now=now, window=window)


def clear_account(session: Session, *, username: str) -> None:
    """A successful sign-in forgives the account's failures (not the address's)."""
    session.execute(
        delete(SigninFailureWindow).where(SigninFailureWindow.key == account_key(username))
    )
