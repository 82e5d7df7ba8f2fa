"""Time in one place, so tests can move it and code never mixes naive and aware datetimes."""

from __future__ import annotations

import datetime as dt


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
