"""A per-key, read-through, in-memory cache of registry rows for the hot paths.

Freshness, shared by every directory built on it:

- ``clear()`` (called when the bus topic ``registry`` is announced after a registry change
  commits) empties the cache in every worker;
- an unknown key is never cached, so a row registered a moment ago, even by a process that
  announces nothing, is found on its first read;
- entries expire after ``ttl`` seconds, which bounds how long a change made by such a silent
  process stays unseen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

E = TypeVar("E")


class RegistryCache(Generic[E]):
    """key → entry, read through ``load`` to the database on a miss."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        load: Callable[[Session, str], E | None],
        *,
        ttl: float,
        max_entries: int,
        max_key_length: int,
    ) -> None:
        self._factory = factory
        self._load = load
        self._ttl = ttl
        self._max_entries = max_entries
        self._max_key_length = max_key_length
        self._entries: dict[str, tuple[float, E]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def get(self, key: str) -> E | None:
        hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        if not key or len(key) > self._max_key_length:
            return None
        generation = self._generation
        with self._factory() as session:
            entry = self._load(session, key)
        if entry is not None:
            with self._lock:
                # A clear() while we were reading means the row we read may be outdated
                # already (a secret rotated meanwhile): use it once, but do not keep it.
                if generation == self._generation:
                    if len(self._entries) >= self._max_entries:
                        self._entries.clear()
                    self._entries[key] = (time.monotonic() + self._ttl, entry)
        return entry
