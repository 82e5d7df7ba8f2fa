"""A platform holding 100,000 ports: the worker's resident memory and the snapshot rebuild.

The ports are written with Core bulk inserts (200 host apps × 500 mini programs), because
100,000 trips through the port state machine would take longer than everything else in
the benchmark and would measure the seeding, not the snapshot. A mix of states and staging
keeps the rules realistic: most ports open to everyone, some in a partial rollout with an
allow-list, some with a trial end, some closed.

``rebuild_times`` runs in a fresh interpreter (``python -m benchmarks.ports_scale DIR``) and
prints the time ``PortDirectory.reload`` takes, the work a worker does after every change.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import statistics
import subprocess
import sys
import time

from sqlalchemy import Table, insert

from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.tokens import digest
from miniport.platform.ports.models import Port
from miniport.platform.ports.snapshot import PortDirectory
from miniport.platform.registry.models import Brand, HostApp, MiniProgram

HOSTS = 200
MINI_PROGRAMS = 500
REBUILDS = 7


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


def rebuild_times(database_url: str) -> tuple[int, list[float]]:
    """(ports in the snapshot, milliseconds per ``reload``) over REBUILDS reloads."""
    engine = make_engine(database_url)
    try:
        directory = PortDirectory(make_sessionmaker(engine))
        times = []
        for _ in range(REBUILDS):
            started = time.perf_counter()
            snapshot = directory.reload()
            times.append((time.perf_counter() - started) * 1000)
        return len(snapshot.rules), times
    finally:
        engine.dispose()


def measure_rebuild(database_url: str) -> tuple[int, float]:
    """Median rebuild milliseconds, measured in a fresh interpreter."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.ports_scale", database_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    return int(data["ports"]), float(statistics.median(data["ms"]))


if __name__ == "__main__":
    ports, times = rebuild_times(sys.argv[1])
    print(json.dumps({"ports": ports, "ms": times}))
