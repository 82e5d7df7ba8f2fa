"""Two platform runtimes on one database, told of each other's changes through Redis."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from miniport.common.clock import utcnow
from miniport.common.migrate import upgrade
from miniport.platform.ports import lifecycle
from miniport.platform.ports.decision import decide
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.states import Actor, ActorKind, ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from tests.conftest import make_platform_settings
from tests.factories import World, build_world

OPERATOR = Actor(ActorKind.OPERATOR, "ops")


@pytest.fixture
def pair(tmp_path: Path, redis_url: str) -> Iterator[tuple[PlatformRuntime, PlatformRuntime]]:
    settings = make_platform_settings(
        tmp_path,
        bus_url=redis_url,
        bus_channel=f"miniport_test_{uuid.uuid4().hex[:12]}",
    )
    upgrade("platform", settings.database_url)
    a = PlatformRuntime.build(settings)
    b = PlatformRuntime.build(settings)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def _open(runtime: PlatformRuntime, world: World) -> bool:
    return decide(
        runtime.ports.current(),
        client_id=world.client_id,
        appid=world.appid,
        user_key="u",
        now=utcnow(),
    ).open


def _wait(runtime: PlatformRuntime, world: World, *, open_: bool, timeout: float) -> float:
    started = time.monotonic()
    while _open(runtime, world) != open_:
        assert time.monotonic() - started < timeout, f"not {'open' if open_ else 'closed'}"
        time.sleep(0.001)
    return time.monotonic() - started


def test_a_close_in_one_runtime_is_enforced_by_the_other(
    pair: tuple[PlatformRuntime, PlatformRuntime],
) -> None:
    a, b = pair
    world = build_world(a)
    _wait(b, world, open_=True, timeout=1.0)
    with a.sessions() as session:
        port = lifecycle.find_port(session, client_id=world.client_id, appid=world.appid)
        assert port is not None
        port_id = port.id
    delays = []
    for _ in range(5):
        started = time.monotonic()
        with a.sessions() as session, session.begin():
            lifecycle.close(
                session,
                port_id,
                actor=OPERATOR,
                reason=Reason(ReasonCategory.SECURITY, "counterfeits"),
                now=utcnow(),
            )
        assert not _open(a, world)  # the committing runtime reloaded before commit returned
        _wait(b, world, open_=False, timeout=1.0)
        # From the start of the close (its commit included) to the other runtime refusing.
        delays.append(time.monotonic() - started)
        with b.sessions() as session, session.begin():
            lifecycle.reopen(
                session, port_id, actor=OPERATOR, reason=Reason(ReasonCategory.OTHER), now=utcnow()
            )
        _wait(a, world, open_=True, timeout=1.0)
    median_ms = statistics.median(delays) * 1000
    print(f"redis bus: the other runtime refused {median_ms:.1f} ms after the close began")
    assert max(delays) < 1.0
