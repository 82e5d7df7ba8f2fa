"""Sign-in throttling: failed attempts counted per account and per client address.

Fixed windows: a key's window opens at its first failure and lasts ``window``; once a key
has ``limit`` failures in its open window, sign-in for it is refused (without checking the
password) until the window closes. Counting per account stops guessing one user's
password from many addresses; counting per address stops one address from trying a common
password against many accounts. Counters live in the database so every worker process
enforces the same limit.

Each service with accounts keeps the counters in its own database: its model mixes
``SigninFailureColumns`` into its declarative base, and a ``SigninThrottle`` over that
model applies the policy. Nothing here knows HTTP; the caller passes the client address
and the time (``miniport.common.clock``), and commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, String, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from miniport.common.db import UTCDateTime
from miniport.common.settings import AccountSettings

_MAX_KEY_LENGTH = 160


class SigninFailureColumns:
    """Failed sign-ins counted per key (``account:<name>`` / ``address:<ip>``) per window."""

    key: Mapped[str] = mapped_column(String(_MAX_KEY_LENGTH), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class SigninLimits:
    per_account: int
    per_address: int
    window: dt.timedelta

    @classmethod
    def of(cls, settings: AccountSettings) -> SigninLimits:
        return cls(
            per_account=settings.signin_max_failures_per_account,
            per_address=settings.signin_max_failures_per_address,
            window=dt.timedelta(seconds=settings.signin_window_seconds),
        )


def account_key(username: str) -> str:
    return ("account:" + username.strip().lower())[:_MAX_KEY_LENGTH]


def address_key(address: str) -> str:
    return ("address:" + address)[:_MAX_KEY_LENGTH]


@dataclass(frozen=True)
class SigninThrottle:
    """The policy above, over one service's table of failure windows."""

    table: type[SigninFailureColumns]
    limits: SigninLimits

    def _keys(self, username: str, address: str) -> dict[str, int]:
        return {
            account_key(username): self.limits.per_account,
            address_key(address): self.limits.per_address,
        }

    def blocked_for(
        self, session: Session, *, username: str, address: str, now: dt.datetime
    ) -> dt.timedelta | None:
        """How long sign-in stays refused for this account or address; ``None`` when allowed."""
        keys = self._keys(username, address)
        window = self.limits.window
        rows = session.scalars(select(self.table).where(self.table.key.in_(keys))).all()
        waits = [
            row.window_start + window - now
            for row in rows
            if row.failures >= keys[row.key] and row.window_start + window > now
        ]
        return max(waits) if waits else None

    def record_failure(
        self, session: Session, *, username: str, address: str, now: dt.datetime
    ) -> None:
        for key in self._keys(username, address):
            self._count(session, key=key, now=now)

    def _count(self, session: Session, *, key: str, now: dt.datetime) -> None:
        table = self.table
        # Increment in SQL, not in Python, so two workers failing at once both count.
        in_window = session.execute(
            update(table)
            .where(table.key == key, table.window_start > now - self.limits.window)
            .values(failures=table.failures + 1)
            .execution_options(synchronize_session=False)
        )
        if in_window.rowcount:  # type: ignore[attr-defined]
            return
        restarted = session.execute(
            update(table)
            .where(table.key == key)
            .values(window_start=now, failures=1)
            .execution_options(synchronize_session=False)
        )
        if restarted.rowcount:  # type: ignore[attr-defined]
            return
        try:
            with session.begin_nested():
                session.execute(insert(table).values(key=key, window_start=now, failures=1))
        except IntegrityError:
            # Another worker created the row between our UPDATE and INSERT; count on it.
            self._count(session, key=key, now=now)

    def clear_account(self, session: Session, *, username: str) -> None:
        """A successful sign-in forgives the account's failures (not the address's)."""
        session.execute(delete(self.table).where(self.table.key == account_key(username)))
