"""The TTL map behind the hot paths' caches: entries lapse, a clear forgets reads in flight,
a remembered miss is told from no entry, a full map starts over, jitter stays in bounds."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from miniport.common import ttl_cache
from miniport.common.ttl_cache import TtlCache


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    fake = _Clock()
    # Only the module's own clock moves; nothing else in the process sees it.
    monkeypatch.setattr(ttl_cache, "clock", SimpleNamespace(monotonic=fake))
    return fake


def test_an_entry_lives_for_its_ttl(clock: _Clock) -> None:
    cache: TtlCache[str] = TtlCache(ttl=5.0, max_entries=10)
    cache.put("k", "v", generation=cache.generation())
    clock.now += 4.999
    assert cache.get("k") == "v" and cache.find("k") == (True, "v")
    clock.now += 0.002
    assert cache.get("k") is None and cache.find("k") == (False, None)


def test_a_value_read_while_a_clear_ran_is_not_kept(clock: _Clock) -> None:
    cache: TtlCache[str] = TtlCache(ttl=5.0, max_entries=10)
    cache.put("old", "v", generation=cache.generation())
    generation = cache.generation()  # a reader starts reading "k" from the database …
    cache.clear()  # … a revocation clears the cache meanwhile …
    cache.put("k", "stale", generation=generation)  # … and the reader's answer is dropped
    assert cache.find("k") == (False, None) and cache.get("old") is None
    cache.put("k", "fresh", generation=cache.generation())
    assert cache.get("k") == "fresh"


def test_a_remembered_miss_is_told_from_no_entry(clock: _Clock) -> None:
    cache: TtlCache[str | None] = TtlCache(ttl=5.0, max_entries=10)
    cache.put("gone", None, generation=cache.generation())
    assert cache.find("gone") == (True, None)
    assert cache.find("never") == (False, None)


def test_a_full_cache_starts_over(clock: _Clock) -> None:
    cache: TtlCache[int] = TtlCache(ttl=5.0, max_entries=3)
    for n in range(3):
        cache.put(str(n), n, generation=cache.generation())
    cache.put("3", 3, generation=cache.generation())
    assert [cache.get(str(n)) for n in range(4)] == [None, None, None, 3]


def test_jitter_spreads_lifetimes_over_the_last_part_of_the_ttl(clock: _Clock) -> None:
    cache: TtlCache[int] = TtlCache(ttl=100.0, max_entries=10_000, jitter=0.25)
    for n in range(2000):
        cache.put(str(n), n, generation=cache.generation())
    clock.now += 74.99
    assert all(cache.get(str(n)) == n for n in range(2000))  # none before 75 % of the ttl
    clock.now += 12.5
    alive = sum(cache.get(str(n)) is not None for n in range(2000))
    assert 600 < alive < 1400  # about half lapse by 87.5 %
    clock.now += 12.52
    assert all(cache.get(str(n)) is None for n in range(2000))  # all by the full ttl


def test_jitter_must_leave_some_lifetime() -> None:
    with pytest.raises(ValueError):
        TtlCache(ttl=1.0, max_entries=1, jitter=1.0)
