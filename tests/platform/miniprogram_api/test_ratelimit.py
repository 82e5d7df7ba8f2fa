"""The 45011 limit: 100 exchanges per user and mini program a minute, each counted once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.orm import Session

from miniport.platform.miniprogram_api.ratelimit import ExchangeRateLimiter
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.group_commit import GroupCommit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_limit_slides_with_the_window() -> None:
    clock = Clock()
    limiter = ExchangeRateLimiter(limit=3, window=60.0, clock=clock)
    for n in range(3):
        assert limiter.allow(user_id=1, appid="wxa", exchange=f"c{n}")
        clock.now += 10.0  # at 1000, 1010 and 1020
    assert not limiter.allow(user_id=1, appid="wxa", exchange="c3")
    # Another user, and another mini program, have limits of their own.
    assert limiter.allow(user_id=2, appid="wxa", exchange="c3")
    assert limiter.allow(user_id=1, appid="wxb", exchange="c3")
    clock.now = 1059.0
    assert not limiter.allow(user_id=1, appid="wxa", exchange="c4")
    clock.now = 1060.0  # the first exchange is a minute old: one more fits, not two
    assert limiter.allow(user_id=1, appid="wxa", exchange="c4")
    assert not limiter.allow(user_id=1, appid="wxa", exchange="c5")


def test_an_exchange_asked_about_again_counts_once() -> None:
    limiter = ExchangeRateLimiter(limit=2, clock=Clock())
    for _ in range(5):
        assert limiter.allow(user_id=1, appid="wxa", exchange="same")
    assert limiter.allow(user_id=1, appid="wxa", exchange="other")
    assert not limiter.allow(user_id=1, appid="wxa", exchange="third")
    assert limiter.allow(user_id=1, appid="wxa", exchange="same")  # still counted, still ok


def test_a_batch_run_again_does_not_count_its_exchanges_twice(runtime: PlatformRuntime) -> None:
    # A failing request makes the group commit run the rest of its batch again: the
    # exchanges in that batch ask the limiter a second time.
    limiter = ExchangeRateLimiter(limit=2, clock=Clock())
    writes = GroupCommit(runtime.sessions)

    def exchange(code: str) -> Callable[[Session], bool]:
        def unit(_session: Session) -> bool:
            return limiter.allow(user_id=1, appid="wxa", exchange=code)

        return unit

    def fails(_session: Session) -> bool:
        raise ValueError("refused")

    async def burst() -> list[object]:
        units = [exchange("first"), fails, exchange("second")]
        return await asyncio.gather(*(writes.run(u) for u in units), return_exceptions=True)

    first, failed, second = asyncio.run(burst())
    assert first is True and second is True and isinstance(failed, ValueError)
    assert writes.units == 2  # the batch ran twice, committed once
    # Two exchanges counted, not four: a third is the one over the limit of two.
    assert not limiter.allow(user_id=1, appid="wxa", exchange="third")
