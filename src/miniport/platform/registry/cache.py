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

from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from miniport.common.ttl_cache import TtlCache

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
        self._max_key_length = max_key_length
        self._entries: TtlCache[E] = TtlCache(ttl=ttl, max_entries=max_entries)

    def clear(self) -> None:
        self._entries.clear()

    def get(self, key: str) -> E | None:
        hit = self._entries.get(key)
        if hit is not None:
            return hit
        if not key or len(key) > self._max_key_length:
            return None
        # A clear() while we read means the row may be outdated already (a secret rotated
        # meanwhile): it is used once, but not kept.
        generation = self._entries.generation()
        with self._factory() as session:
            entry = self._load(session, key)
        if entry is not None:
            self._entries.put(key, entry, generation=generation)
        return entry
