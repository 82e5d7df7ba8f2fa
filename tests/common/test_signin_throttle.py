"""The shared sign-in throttle over any service's table: the policy, with time passed in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.common.db import ModelBase, make_engine, make_sessionmaker, new_metadata
from miniport.common.signin_throttle import SigninFailureColumns, SigninLimits, SigninThrottle

WINDOW = dt.timedelta(minutes=5)
THROTTLE_LIMITS = SigninLimits(per_account=3, per_address=5, window=WINDOW)


class _Base(ModelBase):
    __abstract__ = True
    metadata = new_metadata()


class Failures(SigninFailureColumns, _Base):
    """A service-neutral table: the throttle knows only the columns it mixes in."""

    __tablename__ = "signin_failure_windows"


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'throttle.db'}")
    _Base.metadata.create_all(engine)
    with make_sessionmaker(engine)() as opened:
        yield opened
    engine.dispose()


@pytest.fixture
def throttle() -> SigninThrottle:
    return SigninThrottle(Failures, THROTTLE_LIMITS)


def _fail(
    throttle: SigninThrottle, session: Session, times: int, *, now: dt.datetime, user: str = "lin"
) -> None:
    for attempt in range(times):
        throttle.record_failure(session, username=user, address=f"10.0.0.{attempt}", now=now)
    session.commit()


def test_an_account_locks_at_its_limit_until_the_window_closes(
    throttle: SigninThrottle, session: Session
) -> None:
    start = utcnow()
    _fail(throttle, session, 2, now=start)
    assert throttle.blocked_for(session, username="lin", address="10.9.9.9", now=start) is None

    _fail(throttle, session, 1, now=start)
    later = start + dt.timedelta(minutes=1)
    wait = throttle.blocked_for(session, username="LIN ", address="10.9.9.9", now=later)
    assert wait == WINDOW - dt.timedelta(minutes=1)  # usernames are case-insensitive

    closed = start + WINDOW
    assert throttle.blocked_for(session, username="lin", address="10.9.9.9", now=closed) is None


def test_a_failure_after_the_window_starts_a_new_one(
    throttle: SigninThrottle, session: Session
) -> None:
    start = utcnow()
    _fail(throttle, session, 2, now=start)
    _fail(throttle, session, 1, now=start + WINDOW)  # the old two no longer count

    assert throttle.blocked_for(session, username="lin", address="x", now=start + WINDOW) is None
    row = session.scalars(select(Failures).where(Failures.key == "account:lin")).one()
    assert (row.failures, row.window_start) == (1, start + WINDOW)


def test_one_address_locks_for_every_account(throttle: SigninThrottle, session: Session) -> None:
    now = utcnow()
    for attempt in range(THROTTLE_LIMITS.per_address):
        throttle.record_failure(session, username=f"guess{attempt}", address="10.1.1.1", now=now)
    session.commit()

    assert throttle.blocked_for(session, username="lin", address="10.1.1.1", now=now) == WINDOW
    assert throttle.blocked_for(session, username="lin", address="10.1.1.2", now=now) is None


def test_success_forgives_the_account_but_not_the_address(
    throttle: SigninThrottle, session: Session
) -> None:
    now = utcnow()
    _fail(throttle, session, 2, now=now)

    throttle.clear_account(session, username="Lin")
    session.commit()

    keys = set(session.scalars(select(Failures.key)))
    assert "account:lin" not in keys
    assert "address:10.0.0.0" in keys
