"""Cached tokens and the clock that ages them (injectable, so tests can move time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

# Returns the current time as an aware UTC datetime.
Clock: TypeAlias = Callable[[], dt.datetime]

# Renew a cached token this long before it expires (or at half its life, if shorter), so a
# call never leaves with a token that dies on the way.
REFRESH_MARGIN = dt.timedelta(seconds=60)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class CachedToken:
    value: str
    refresh_at: dt.datetime

    @classmethod
    def expiring(cls, value: str, *, now: dt.datetime, expires_at: dt.datetime) -> CachedToken:
        margin = min(REFRESH_MARGIN, (expires_at - now) / 2)
        return cls(value, expires_at - margin)

    def fresh(self, now: dt.datetime) -> bool:
        return now < self.refresh_at
