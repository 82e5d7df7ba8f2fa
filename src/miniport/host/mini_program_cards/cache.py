"""A short in-memory cache of port check answers, per (user key, item).

Caching per item rather than per page lets a page reuse what an earlier page asked and ask
the platform, in one batched call, only for what it has not seen. ``clear`` is instant (the
webhook calls it); ``sync_epoch`` brings a worker's cache up to the newest card-changing
event recorded in the database, so a close reaches workers the webhook did not hit.
Entries are stored only when no clear happened while their check was in flight, so an
answer fetched before a close can never be cached after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from miniport.common import clock as clocks
from miniport.sdk.models import PortCheck

MAX_ENTRIES = 50_000


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a page may use: cached answers, and the generation to store new ones under."""

    found: dict[str, PortCheck]
    generation: int


class CheckCache:
    def __init__(self, *, ttl: float, clock: Callable[[], float] | None = None) -> None:
        self._ttl = ttl
        self._clock = clock  # None: the project's monotonic clock, read at each call
        self._entries: dict[tuple[str, str], tuple[float, PortCheck]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._epoch = 0

    def lookup(self, user_key: str, items: Iterable[str]) -> Snapshot:
        now = self._now()
        with self._lock:
            found = {}
            for item in items:
                hit = self._entries.get((user_key, item))
                if hit is not None and hit[0] > now:
                    found[item] = hit[1]
            return Snapshot(found=found, generation=self._generation)

    def store(self, user_key: str, results: Iterable[PortCheck], *, generation: int) -> None:
        if self._ttl <= 0:
            return
        expires = self._now() + self._ttl
        with self._lock:
            if generation != self._generation:
                return  # cleared meanwhile: these answers may predate the change
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            for result in results:
                self._entries[(user_key, result.item)] = (expires, result)

    def _now(self) -> float:
        return self._clock() if self._clock is not None else clocks.monotonic()

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def sync_epoch(self, epoch: int) -> None:
        """Clear when the database has seen a card-changing event this cache has not."""
        with self._lock:
            if epoch == self._epoch:
                return
            self._epoch = epoch
            self._generation += 1
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
