"""A small thread-safe map whose entries lapse, and which a clear makes forget reads in flight.

The platform keeps several such maps in front of the database on its hot paths (live tokens,
registry entries, port-check cards and links). They share one hazard: a value read from the
database *while* a change cleared the map may predate the change, and caching it would
serve the old state for a whole TTL (a revoked token alive again). So a reader takes the
``generation`` before it reads, and ``put`` keeps the value only if no ``clear`` ran since.

Reads take no lock: a dict look-up is atomic under the GIL, and an entry is a tuple
replaced whole. When the map is full it is emptied rather than evicted entry by entry: it is
only a cache, and a full one means the working set is larger than it should be anyway.
"""

from __future__ import annotations

import random
import threading
from typing import Generic, TypeVar

from miniport.common import clock

V = TypeVar("V")


class TtlCache(Generic[V]):
    """key → value for ``ttl`` seconds (each entry ``ttl`` × a random factor in
    ``[1 - jitter, 1]``, so that entries made together do not all lapse together)."""

    def __init__(self, *, ttl: float, max_entries: int, jitter: float = 0.0) -> None:
        if not 0.0 <= jitter < 1.0:
            raise ValueError("jitter must be in [0, 1)")
        self._ttl = ttl
        self._max_entries = max_entries
        self._jitter = jitter
        self._entries: dict[str, tuple[float, V]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def find(self, key: str) -> tuple[bool, V | None]:
        """(True, value) for a live entry, also when the value cached is None (a miss
        remembered); (False, None) otherwise."""
        hit = self._entries.get(key)
        if hit is None or hit[0] < clock.monotonic():
            return False, None
        return True, hit[1]

    def get(self, key: str) -> V | None:
        hit = self._entries.get(key)
        if hit is None or hit[0] < clock.monotonic():
            return None
        return hit[1]

    def generation(self) -> int:
        """Take this before reading what ``put`` will store."""
        return self._generation

    def put(self, key: str, value: V, *, generation: int) -> None:
        ttl = self._ttl
        if self._jitter:
            ttl *= random.uniform(1.0 - self._jitter, 1.0)  # noqa: S311  (not a secret)
        with self._lock:
            if generation != self._generation:
                return  # cleared while the value was being read: it may predate the change
            if len(self._entries) >= self._max_entries:
                self._entries.clear()
            self._entries[key] = (clock.monotonic() + ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
