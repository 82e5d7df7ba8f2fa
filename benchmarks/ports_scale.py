"""A platform holding 100,000 ports: the worker's resident memory and the snapshot rebuild.

The ports are written with Core bulk inserts (200 host apps × 500 mini programs), because
100,000 trips through the port state machine would take longer than everything else in
the benchmark and would measure the seeding, not the snapshot. A mix of states and staging
keeps the rules realistic: most ports open to everyone, some in a partial rollout with an
allow-list, some with a trial end, some closed.

``snapshot_times`` runs in a fresh interpreter (``python -m benchmarks.ports_scale URL``)
and times what a worker does with its snapshot: the full build at start-up
(``PortDirectory.reload``), and ``PortDirectory.catch_up`` — the work after every change —
once one port's staging changed and once a host app with all its ports was suspended. The
changes are made through the port lifecycle like any operator's, outside the timing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Table, insert

from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.tokens import digest
from miniport.platform.ports import lifecycle
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.models import Port
from miniport.platform.ports.snapshot import PortDirectory
from miniport.platform.ports.states import Actor, ActorKind, ReasonCategory
from miniport.platform.registry.models import Brand, HostApp, MiniProgram

HOSTS = 200
MINI_PROGRAMS = 500
REBUILDS = 7
ACTOR = Actor(ActorKind.OPERATOR, "bench")


def _table(model: type[Brand | HostApp | MiniProgram | Port]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def seed_ports(database_url: str) -> int:
    """Add HOSTS × MINI_PROGRAMS ports (and their parties) to a migrated database."""
    engine = make_engine(database_url)
    now = dt.datetime.now(dt.UTC)
    later = now + dt.timedelta(days=30)
    try:
        with engine.begin() as connection:
            created = connection.execute(
                insert(_table(Brand)).values(
                    slug="scale", name_zh="规模", name_en="Scale", created_at=now
                )
            ).inserted_primary_key
            assert created is not None
            brand_id = created[0]
            hosts = [f"hc{secrets.token_hex(8)}" for _ in range(HOSTS)]
            appids = [f"wx{secrets.token_hex(8)}" for _ in range(MINI_PROGRAMS)]
            connection.execute(
                insert(_table(HostApp)),
                [
                    {
                        "client_id": client_id,
                        "slug": f"scale-host-{number}",
                        "name_zh": f"宿主{number}",
                        "name_en": f"Host {number}",
                        "secret_digest": digest(secrets.token_urlsafe(32)),
                        "redirect_uris": ["http://127.0.0.1:9/cb"],
                        "created_at": now,
                        "secret_rotated_at": now,
                    }
                    for number, client_id in enumerate(hosts)
                ],
            )
            connection.execute(
                insert(_table(MiniProgram)),
                [
                    {
                        "appid": appid,
                        "brand_id": brand_id,
                        "name_zh": f"小程序{number}",
                        "name_en": f"Mini program {number}",
                        "entry_url": f"http://127.0.0.1:9/mp/{number}",
                        "allowed_paths": ["/pages/index"],
                        "secret_digest": digest(secrets.token_urlsafe(32)),
                        "created_at": now,
                        "secret_rotated_at": now,
                    }
                    for number, appid in enumerate(appids)
                ],
            )
            rows = []
            for host_number, client_id in enumerate(hosts):
                for app_number, appid in enumerate(appids):
                    kind = (host_number * MINI_PROGRAMS + app_number) % 20
                    rows.append(
                        {
                            "client_id": client_id,
                            "appid": appid,
                            "state": "closed" if kind == 0 else "open",
                            "request_reason": "scale test",
                            "rollout_percent": 30 if kind in (1, 2) else 100,
                            "allow_list": [f"tester-{kind}"] if kind == 1 else [],
                            "trial_ends_at": later if kind == 3 else None,
                            "daily_launch_quota": 1000 if kind == 4 else None,
                            "created_at": now,
                            "updated_at": now,
                            "version": 1,
                        }
                    )
            connection.execute(insert(_table(Port)), rows)
            return len(rows)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class SnapshotTimes:
    ports: int
    full_ms: list[float]  # PortDirectory.reload: start-up
    one_port_ms: list[float]  # catch_up after one port's staging changed
    host_ms: list[float]  # catch_up after a host with all its ports was suspended


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def snapshot_times(database_url: str) -> SnapshotTimes:
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        directory = PortDirectory(sessions)
        full = [_timed(directory.reload) for _ in range(REBUILDS)]
        rules = dict(directory.current().items())
        staged = [rule.port_id for rule in rules.values() if rule.state == "open"][:REBUILDS]
        one_port = []
        for number, port_id in enumerate(staged):
            with sessions() as session, session.begin():
                lifecycle.set_staging(
                    session,
                    port_id,
                    actor=ACTOR,
                    rollout_percent=10 + number,
                    allow_list=[],
                    trial_ends_at=None,
                    daily_launch_quota=None,
                    now=dt.datetime.now(dt.UTC),
                )
            one_port.append(_timed(directory.catch_up))
        hosts = sorted({client_id for client_id, _ in rules})[:REBUILDS]
        host = []
        for client_id in hosts:
            with sessions() as session, session.begin():
                lifecycle.suspend_host(
                    session,
                    client_id=client_id,
                    actor=ACTOR,
                    reason=Reason(ReasonCategory.OTHER, "benchmark"),
                    now=dt.datetime.now(dt.UTC),
                )
            host.append(_timed(directory.catch_up))
        now = directory.current()
        assert all(
            rule.fixed is not None for host_id in hosts for rule in now.rules_of(host_id).values()
        )
        return SnapshotTimes(len(now), full, one_port, host)
    finally:
        engine.dispose()


def measure_snapshot(database_url: str) -> SnapshotTimes:
    """``snapshot_times`` in a fresh interpreter, so the worker's memory is not this one's."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.ports_scale", database_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return SnapshotTimes(**json.loads(completed.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    print(json.dumps(dataclasses.asdict(snapshot_times(sys.argv[1]))))
