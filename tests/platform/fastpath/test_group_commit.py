"""Group commit: concurrent writes share a transaction without sharing each other's fate."""

from __future__ import annotations

import asyncio

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.oauth import token_store
from miniport.platform.oauth.models import IssuedToken
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.group_commit import GroupCommit
from tests.factories import World
from tests.platform.fastpath.units import issue_token


def _stored(runtime: PlatformRuntime) -> int:
    with runtime.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(IssuedToken)) or 0)


def _live(runtime: PlatformRuntime, value: str) -> bool:
    info = token_store.lookup(token_store.TokenCache(), runtime.read_engine, value, utcnow())
    return info is not None


def test_concurrent_units_commit_together(runtime: PlatformRuntime, world: World) -> None:
    writes = GroupCommit(runtime.sessions)

    async def burst() -> list[str]:
        return await asyncio.gather(*(writes.run(issue_token(world.client_id)) for _ in range(20)))

    values = asyncio.run(burst())
    assert writes.batches == 1 and writes.units == 20
    assert all(_live(runtime, value) for value in values)


def test_a_failing_unit_fails_alone_and_leaves_nothing(
    runtime: PlatformRuntime, world: World
) -> None:
    writes = GroupCommit(runtime.sessions)
    before = _stored(runtime)

    def half_done_then_fails(session: Session) -> str:
        issue_token(world.client_id)(session)  # written, then the unit gives up
        raise ValueError("refused")

    async def burst() -> list[object]:
        units = [issue_token(world.client_id), half_done_then_fails, issue_token(world.client_id)]
        return await asyncio.gather(*(writes.run(u) for u in units), return_exceptions=True)

    first, failed, last = asyncio.run(burst())
    assert isinstance(failed, ValueError)
    assert isinstance(first, str) and isinstance(last, str)
    assert _live(runtime, first) and _live(runtime, last)
    assert _stored(runtime) == before + 2  # the failed unit's row was rolled back


def test_a_failed_commit_fails_every_request_of_the_batch(
    runtime: PlatformRuntime, world: World
) -> None:
    writes = GroupCommit(runtime.sessions)
    before = _stored(runtime)

    def refuse(_session: Session) -> None:
        raise OSError("disk full")

    async def burst() -> list[object]:
        units = [issue_token(world.client_id) for _ in range(3)]
        return await asyncio.gather(*(writes.run(u) for u in units), return_exceptions=True)

    event.listen(Session, "before_commit", refuse)
    try:
        results = asyncio.run(burst())
    finally:
        event.remove(Session, "before_commit", refuse)
    assert all(isinstance(result, OSError) for result in results)
    assert _stored(runtime) == before and writes.batches == 0
