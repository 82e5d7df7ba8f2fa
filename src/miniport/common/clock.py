"""Time in one place, so tests can move it and code never mixes naive and aware datetimes.

Two clocks: ``utcnow`` for instants that are stored or compared with stored ones (expiries,
windows kept in the database), and ``monotonic`` for how long an in-memory view has been
held (caches, reloads, in-process rate windows), which a wall-clock step (NTP, someone
setting the date) must neither age nor revive. Code reads ``clock.monotonic()`` through the
module at each use, never binding it early, so a test can move both clocks together
(``tests/support/timeline.py``).
"""

from __future__ import annotations

import datetime as dt
import time

monotonic = time.monotonic


def utcnow() -> dt.datetime:
    """Aware UTC now, truncated to microseconds (what every database here stores)."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands datetimes back naive; they were stored as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def epoch(value: dt.datetime) -> int:
    return int(as_utc(value).timestamp())
