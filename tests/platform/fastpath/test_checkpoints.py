"""WAL checkpoints leave the group commit's connections and run on their own thread."""

from __future__ import annotations

import asyncio

from sqlalchemy import Connection, create_engine
from sqlalchemy.orm import Session

from miniport.common.checkpoints import WalCheckpointer
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.group_commit import GroupCommit
from tests.factories import World
from tests.platform.fastpath.units import issue_token


def _autocheckpoint(connection: Connection) -> int:
    return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def _used_connection_setting(writes: GroupCommit, client_id: str) -> int:
    def unit(session: Session) -> int:
        issue_token(client_id)(session)
        return _autocheckpoint(session.connection())

    async def one() -> int:
        return await writes.run(unit)

    return asyncio.run(one())


def test_batches_leave_checkpoints_to_the_running_checkpointer(
    runtime: PlatformRuntime, world: World
) -> None:
    checkpoints = WalCheckpointer(runtime.engine, interval=0.05)
    writes = GroupCommit(runtime.sessions, checkpoints=checkpoints)
    assert _used_connection_setting(writes, world.client_id) == 1000  # not running: untouched
    checkpoints.start()
    try:
        assert checkpoints.running
        assert _used_connection_setting(writes, world.client_id) == 0
    finally:
        checkpoints.stop()
    assert not checkpoints.running
    # stop() leaves the whole log copied back into the database file.
    with runtime.engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        busy, log_frames, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and log_frames == copied


def test_other_databases_are_left_alone(runtime: PlatformRuntime) -> None:
    memory = WalCheckpointer(create_engine("sqlite://"))
    memory.start()
    assert not memory.enabled and not memory.running
    assert WalCheckpointer(runtime.engine).enabled
