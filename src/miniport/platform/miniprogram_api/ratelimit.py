"""The ``jscode2session`` rate limit (45011): at most 100 exchanges per user per minute per
mini program, as the API family documents.

Counted in memory, per worker process: a sliding log of the last ``limit`` exchanges per
(user, appid), each under its launch code's digest. An exchange is counted once however often
it is asked about: the group commit runs a batch again when one of its requests fails, and
the exchanges in it must not count twice. With N workers behind a load balancer a user
could reach N × 100 a minute; every exchange still needs its own fresh single-use launch
code, which caps what that buys, so an exact cross-process count (a database write per
exchange) is not worth its cost here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from miniport.common import clock as clocks

EXCHANGES_PER_MINUTE = 100
WINDOW_SECONDS = 60.0


class ExchangeRateLimiter:
    def __init__(
        self,
        *,
        limit: int = EXCHANGES_PER_MINUTE,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] | None = None,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock  # None: the project's monotonic clock, read at each call
        self._max_keys = max_keys
        # (user, appid) -> {exchange: when it was counted}, oldest first (dicts keep order)
        self._log: dict[tuple[int, str], dict[str, float]] = {}
        self._lock = threading.Lock()

    def allow(self, *, user_id: int, appid: str, exchange: str) -> bool:
        """Record the exchange ``exchange`` (the launch code's digest) and say whether it is
        within the limit. An exchange already counted is allowed again without counting; a
        refusal is not recorded, so a client that backs off recovers after one window."""
        now = self._clock() if self._clock is not None else clocks.monotonic()
        key = (user_id, appid)
        with self._lock:
            counted = self._log.get(key)
            if counted is None:
                if len(self._log) >= self._max_keys:
                    self._forget_idle(now)
                counted = self._log[key] = {}
            if exchange in counted:
                return True
            if len(counted) >= self.limit:
                oldest = next(iter(counted))
                if now - counted[oldest] < self.window:
                    return False
                del counted[oldest]
            counted[exchange] = now
            return True

    def _forget_idle(self, now: float) -> None:
        idle = [
            key
            for key, counted in self._log.items()
            if not counted or now - next(reversed(counted.values())) >= self.window
        ]
        for key in idle:
            del self._log[key]
        if len(self._log) >= self._max_keys:
            # Every key is busy: start over rather than grow without bound.
            self._log.clear()
