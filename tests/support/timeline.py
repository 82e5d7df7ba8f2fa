"""Letting time pass for a whole running system, in an instant.

A test starts a ``Timeline`` before it builds any server, then ``advance``s it past the
interval it is about; every server it runs in threads of this process sees the same jump.
Two clocks move together:

- the wall clock, through time-machine: ``datetime.now``, ``time.time`` and the rest, in
  every thread (expiries, windows and days kept in the database, cookies, JWTs);
- the services' elapsed-time clock, ``miniport.common.clock.monotonic`` (in-memory caches,
  reloads and rate windows). time-machine 3 leaves ``time.monotonic`` alone, which is what
  keeps the event loops and ``threading`` waits of the servers on real time: moving those
  would fire every timer of a loop at once. Only the project's own clock is shifted.

Background jobs still wake on real time (a trial-expiry sweep every second, the webhook
worker's poll): after an ``advance`` a test waits, briefly and for real, for their next
round.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import time_machine

from miniport.common import clock
from miniport.common.clock import utcnow

# Every timeline starts here: an hour before a UTC midnight, so that a test about daily
# quotas crosses one with a short step, and far from the real date, so that nothing can
# pass by reading a real clock where it should read the project's.
START = dt.datetime(2031, 3, 1, 23, 0, tzinfo=dt.UTC)


class Timeline:
    def __init__(self, traveller: time_machine.Traveller) -> None:
        self._traveller = traveller
        self._offset = 0.0

    def monotonic(self, real: Callable[[], float] = time.monotonic) -> float:
        return real() + self._offset

    def now(self) -> dt.datetime:
        return utcnow()

    def next_utc_midnight(self) -> dt.datetime:
        """When today ends in UTC, where daily quotas start over."""
        return dt.datetime.combine(utcnow().date(), dt.time(), dt.UTC) + dt.timedelta(days=1)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass at once, on both clocks."""
        if seconds < 0:
            raise ValueError("time only moves forward here")
        self._traveller.shift(seconds)
        self._offset += seconds

    def advance_past(self, instant: dt.datetime, *, by: float = 1.0) -> None:
        """Move to ``by`` seconds after ``instant``."""
        self.advance(max(0.0, (instant - utcnow()).total_seconds()) + by)


@contextmanager
def travelling(start: dt.datetime = START) -> Iterator[Timeline]:
    real_monotonic = clock.monotonic
    with time_machine.travel(start, tick=True) as traveller:
        line = Timeline(traveller)
        clock.monotonic = line.monotonic
        try:
            yield line
        finally:
            clock.monotonic = real_monotonic
