"""The ``jscode2session`` rate limit (45011): at most 100 exchanges per user per minute per
mini program, as the API family documents.

Counted in memory, per worker process: a sliding log of the last ``limit`` exchange times
per (user, appid). With N workers behind a load balancer a user could reach N × 100 a minute;
every exchange still needs its own fresh single-use launch code, which caps what that buys,
so an exact cross-process count (a database write per exchange) is not worth its cost here.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

EXCHANGES_PER_MINUTE = 100
WINDOW_SECONDS = 60.0


class ExchangeRateLimiter:
    def __init__(
        self,
        *,
        limit: int = EXCHANGES_PER_MINUTE,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._log: dict[tuple[int, str], deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, *, user_id: int, appid: str) -> bool:
        """Record one exchange and say whether it is within the limit (a refusal is not
        recorded, so a client that backs off recovers after one window)."""
        now = self._clock()
        key = (user_id, appid)
        with self._lock:
            times = self._log.get(key)
            if times is None:
                if len(self._log) >= self._max_keys:
                    self._forget_idle(now)
                times = self._log[key] = deque(maxlen=self.limit)
            if len(times) >= self.limit and now - times[0] < self.window:
                return False
            times.append(now)
            return True

    def _forget_idle(self, now: float) -> None:
        idle = [
            key for key, times in self._log.items() if not times or now - times[-1] >= self.window
        ]
        for key in idle:
            del self._log[key]
        if len(self._log) >= self._max_keys:
            # Every key is busy: start over rather than grow without bound.
            self._log.clear()
