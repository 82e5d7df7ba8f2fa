"""A staged trial ends: the port expires on its own, once, with its webhook event."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select, update

from miniport.common.clock import utcnow
from miniport.common.migrate import upgrade
from miniport.platform.ports import lifecycle
from miniport.platform.ports.decision import decide
from miniport.platform.ports.jobs import TrialExpiryJob, expire_due_ports
from miniport.platform.ports.journal import note_port_change
from miniport.platform.ports.models import Port, PortTransition
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.models import WebhookEvent
from tests.conftest import make_platform_settings
from tests.factories import World, build_world
from tests.platform.ports.conftest import OPERATOR, port_id_of


def _expired_events(runtime: PlatformRuntime) -> int:
    with runtime.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(WebhookEvent)
                .where(WebhookEvent.type == "port.expired")
            )
            or 0
        )


def _expiries(runtime: PlatformRuntime) -> int:
    with runtime.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(PortTransition)
                .where(PortTransition.to_state == "expired")
            )
            or 0
        )


def test_a_trial_ending_in_1_5_s_expires_on_a_running_server(
    runtime: PlatformRuntime,
    http: httpx.Client,
    host_auth: dict[str, str],
    world: World,
) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    started = time.monotonic()
    with runtime.sessions() as session, session.begin():
        lifecycle.set_staging(
            session,
            port_id,
            actor=OPERATOR,
            rollout_percent=100,
            allow_list=[],
            trial_ends_at=utcnow() + dt.timedelta(seconds=1.5),
            daily_launch_quota=None,
            now=utcnow(),
        )
    body = {"user_key": "u", "items": [world.appid]}
    assert http.post("/api/ports/check", json=body, headers=host_auth).json()["results"][0]["open"]
    state = "open"
    while time.monotonic() - started < 3.5:
        with runtime.sessions() as session:
            state = lifecycle.get_port(session, port_id).state
        if state == "expired":
            break
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    assert state == "expired", f"still {state} after {elapsed:.2f} s"
    assert 1.5 <= elapsed <= 3.5
    assert _expired_events(runtime) == 1
    [result] = http.post("/api/ports/check", json=body, headers=host_auth).json()["results"]
    assert (result["open"], result["reason"]) == (False, "port_expired")


def test_decide_refuses_before_the_job_runs(runtime: PlatformRuntime, world: World) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    with runtime.sessions() as session, session.begin():
        session.execute(update(Port).where(Port.id == port_id).values(trial_ends_at=utcnow()))
        note_port_change(session, client_id=world.client_id, appid=world.appid)
    snapshot = runtime.ports.current()
    assert snapshot.rule(world.client_id, world.appid).state == "open"  # not expired yet
    decision = decide(
        snapshot, client_id=world.client_id, appid=world.appid, user_key="u", now=utcnow()
    )
    assert (decision.open, decision.reason) == (False, "trial_ended")


def test_sweeps_racing_in_threads_expire_each_port_once(
    runtime: PlatformRuntime, world: World
) -> None:
    with runtime.sessions() as session, session.begin():
        session.execute(update(Port).values(trial_ends_at=utcnow() - dt.timedelta(seconds=1)))
    now = utcnow()
    results: list[list[int]] = []
    barrier = threading.Barrier(4)

    def sweep() -> None:
        barrier.wait()
        results.append(expire_due_ports(runtime.sessions, runtime.read_sessions, now=now))

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expired = sorted(port for found in results for port in found)
    assert expired == sorted(
        [
            port_id_of(runtime, world.client_id, world.appid),
            port_id_of(runtime, world.client_id, world.second_appid),
        ]
    )
    assert _expiries(runtime) == 2
    assert _expired_events(runtime) == 2


def test_sweeps_racing_on_postgresql_expire_each_port_once(
    tmp_path: Path, postgres_url: str
) -> None:
    settings = make_platform_settings(
        tmp_path / "pg", database_url=postgres_url, bus_url="inprocess"
    )
    upgrade("platform", settings.database_url)
    runtime = PlatformRuntime.build(settings)
    try:
        world = build_world(runtime)
        with runtime.sessions() as session, session.begin():
            session.execute(update(Port).values(trial_ends_at=utcnow() - dt.timedelta(seconds=1)))
        now = utcnow()
        results: list[list[int]] = []
        barrier = threading.Barrier(4)

        def sweep() -> None:
            barrier.wait()
            results.append(expire_due_ports(runtime.sessions, runtime.read_sessions, now=now))

        threads = [threading.Thread(target=sweep) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(port for found in results for port in found) == sorted(
            [
                port_id_of(runtime, world.client_id, world.appid),
                port_id_of(runtime, world.client_id, world.second_appid),
            ]
        )
        assert _expiries(runtime) == 2
    finally:
        runtime.close()


def test_the_job_is_off_at_interval_zero(runtime: PlatformRuntime) -> None:
    job = TrialExpiryJob(runtime.sessions, runtime.read_sessions, interval=0)
    job.start()
    assert not any(t.name == "miniport-trial-expiry" for t in threading.enumerate())
    job.stop()
