"""The port change journal and the incremental snapshot catch-up it makes possible.

Each worker's snapshot is brought up to date by re-reading only the ports the journal names;
these tests hold it to the one thing that matters: after ``catch_up`` the snapshot says
exactly what a full build from the database says — for changes made by another worker, for
suspensions, for deleted ports, and when the journal was pruned past the worker.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.db import before_commit, make_engine, make_sessionmaker
from miniport.common.migrate import upgrade
from miniport.platform.ports import journal, lifecycle
from miniport.platform.ports.decision import PortSnapshot
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.models import Port, PortChange
from miniport.platform.ports.snapshot import PortDirectory, build_snapshot
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.registry.admin import create_brand, create_host_app, create_mini_program
from miniport.platform.runtime import PlatformRuntime
from tests.factories import OPERATOR, World, open_port

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
POLICY = Reason(ReasonCategory.POLICY, "test")


def _full(sessions: sessionmaker[Session]) -> PortSnapshot:
    with sessions() as session:
        return build_snapshot(session)


def _same(a: PortSnapshot, b: PortSnapshot) -> None:
    assert dict(a.items()) == dict(b.items())
    assert a.suspended_hosts == b.suspended_hosts


def _stage(sessions: sessionmaker[Session], port_id: int, percent: int) -> None:
    with sessions() as session, session.begin():
        lifecycle.set_staging(
            session,
            port_id,
            actor=OPERATOR,
            rollout_percent=percent,
            allow_list=["tester"],
            trial_ends_at=None,
            daily_launch_quota=50,
            now=NOW,
        )


def test_a_change_made_elsewhere_is_applied_without_a_full_rebuild(
    runtime: PlatformRuntime, world: World
) -> None:
    with runtime.sessions() as session, session.begin():
        open_port(session, client_id=world.other_client_id, appid=world.appid)
    # A second directory on the same database plays the other worker: it hears of the
    # change only through the journal.
    other = PortDirectory(runtime.sessions)
    before = other.current()
    port_id = open_port_id(runtime, world)
    _stage(runtime.sessions, port_id, 30)

    after = other.catch_up()

    _same(after, _full(runtime.sessions))
    key = (world.client_id, world.appid)
    changed = after.rule(*key)
    assert changed is not None and changed.rollout_percent == 30 and changed.fixed is None
    # Ports that did not change are the very same objects: only the changed one was read.
    untouched = [k for k, _ in before.items() if k != key]
    assert untouched, "the world should hold more than one port"
    assert all(after.rule(*k) is before.rule(*k) for k in untouched)
    # Hosts with no change keep the very same mapping: a change copies only its host's.
    others = [host for host in before.hosts if host != world.client_id]
    assert others == [world.other_client_id]
    assert all(after.hosts[host] is before.hosts[host] for host in others)
    assert other.catch_up() is after  # nothing new: the same snapshot


def test_suspending_a_host_flips_all_its_ports_incrementally(
    runtime: PlatformRuntime, world: World
) -> None:
    other = PortDirectory(runtime.sessions)
    with runtime.sessions() as session, session.begin():
        lifecycle.suspend_host(
            session, client_id=world.client_id, actor=OPERATOR, reason=POLICY, now=NOW
        )
    suspended = other.catch_up()
    _same(suspended, _full(runtime.sessions))
    host_rules = list(suspended.rules_of(world.client_id).values())
    assert host_rules and all(rule.fixed is not None for rule in host_rules)
    assert all(rule.fixed.reason == "host_suspended" for rule in host_rules if rule.fixed)

    with runtime.sessions() as session, session.begin():
        lifecycle.resume_host(
            session, client_id=world.client_id, actor=OPERATOR, reason=POLICY, now=NOW
        )
    _same(other.catch_up(), _full(runtime.sessions))


def test_a_deleted_port_leaves_the_snapshot(runtime: PlatformRuntime, world: World) -> None:
    other = PortDirectory(runtime.sessions)
    key = (world.client_id, world.appid)
    assert other.current().rule(*key) is not None
    with runtime.sessions() as session, session.begin():
        session.execute(delete(Port).where(Port.client_id == key[0], Port.appid == key[1]))
        journal.note_port_change(session, client_id=key[0], appid=key[1])
    assert other.catch_up().rule(*key) is None


def test_a_rolled_back_change_writes_no_journal_row(runtime: PlatformRuntime, world: World) -> None:
    port_id = open_port_id(runtime, world)
    with runtime.sessions() as session:
        rows_before = session.scalar(select(func.count()).select_from(PortChange))
    with pytest.raises(RuntimeError), runtime.sessions() as session, session.begin():
        lifecycle.set_staging(
            session,
            port_id,
            actor=OPERATOR,
            rollout_percent=10,
            allow_list=[],
            trial_ends_at=None,
            daily_launch_quota=None,
            now=NOW,
        )
        raise RuntimeError("the request failed after the change")
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PortChange)) == rows_before


def test_a_worker_behind_the_pruned_journal_rebuilds_in_full(
    runtime: PlatformRuntime, world: World
) -> None:
    other = PortDirectory(runtime.sessions)
    port_id = open_port_id(runtime, world)
    _stage(runtime.sessions, port_id, 40)
    # Many changes later the rows this worker has not read yet are pruned away...
    with runtime.sessions() as session, session.begin():
        session.execute(
            insert(PortChange),
            [
                {"client_id": "hc-elsewhere", "appid": "wx-elsewhere", "at": NOW}
                for _ in range(journal.KEPT_CHANGES + 1)
            ],
        )
        newest = journal.latest_seq(session)
        session.execute(delete(PortChange).where(PortChange.seq <= newest - journal.KEPT_CHANGES))
    # ...so catching up from the journal alone would miss the staging change.
    caught_up = other.catch_up()
    rule = caught_up.rule(world.client_id, world.appid)
    assert rule is not None and rule.rollout_percent == 40
    _same(caught_up, _full(runtime.sessions))


def test_the_journal_keeps_only_the_newest_rows(runtime: PlatformRuntime, world: World) -> None:
    port_id = open_port_id(runtime, world)
    with runtime.sessions() as session, session.begin():
        session.execute(
            insert(PortChange),
            [
                {"client_id": "hc-x", "appid": "wx-x", "at": NOW}
                for _ in range(journal.KEPT_CHANGES)
            ],
        )
    _stage(runtime.sessions, port_id, 20)  # a journal write prunes
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PortChange)) == journal.KEPT_CHANGES


def open_port_id(runtime: PlatformRuntime, world: World) -> int:
    with runtime.sessions() as session:
        port_id = session.scalar(
            select(Port.id).where(Port.client_id == world.client_id, Port.appid == world.appid)
        )
    assert port_id is not None
    return port_id


@pytest.mark.postgres
def test_concurrent_changes_on_postgresql_are_never_skipped(postgres_url: str) -> None:
    """Writers race on PostgreSQL while a reader catches up over and over; however the
    commits interleave, the reader ends exactly where a full build is.

    Each port is changed exactly once, so a change the reader steps past is never repaired
    by a later one; and each writer dawdles after its journal row, before its commit, which
    is where a journal numbered in insert order rather than commit order lets a reader that
    has seen a newer row skip this one for good.
    """
    upgrade("platform", postgres_url)
    engine = make_engine(postgres_url)
    sessions = make_sessionmaker(engine)
    try:
        hosts, appids = _small_world(sessions, mini_programs=15)
        reader = PortDirectory(sessions)
        stop = threading.Event()
        failures: list[BaseException] = []

        def write(host: str, dawdle: random.Random) -> None:
            try:
                for number, appid in enumerate(appids):
                    with sessions() as session, session.begin():
                        # Straight SQL rather than the lifecycle: its audit entry takes a
                        # lock of its own that would serialise these writers and hide what
                        # the journal must guarantee by itself.
                        session.execute(
                            update(Port)
                            .where(Port.client_id == host, Port.appid == appid)
                            .values(rollout_percent=number + 1)
                        )
                        journal.note_port_change(session, client_id=host, appid=appid)
                        # Runs after the journal's own before-commit write.
                        before_commit(session, lambda: time.sleep(dawdle.uniform(0, 0.02)))
            except BaseException as error:  # reported below, on the test's thread
                failures.append(error)

        def read() -> None:
            while not stop.is_set():
                reader.catch_up()

        writers = [
            threading.Thread(target=write, args=(host, random.Random(number)))
            for number, host in enumerate(hosts)
        ]
        reading = threading.Thread(target=read)
        reading.start()
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        stop.set()
        reading.join()
        assert not failures, failures
        _same(reader.catch_up(), _full(sessions))
    finally:
        engine.dispose()


def _small_world(
    sessions: sessionmaker[Session], *, mini_programs: int
) -> tuple[list[str], list[str]]:
    with sessions() as session, session.begin():
        brand = create_brand(
            session, slug="journal-brand", name_zh="品牌", name_en="Brand", actor=OPERATOR
        )
        appids = [
            create_mini_program(
                session,
                brand_id=brand.id,
                name_zh=f"小程序{n}",
                name_en=f"Mini program {n}",
                entry_url="http://127.0.0.1:9/mp",
                allowed_paths=["/pages/index"],
                actor=OPERATOR,
            )[0].appid
            for n in range(mini_programs)
        ]
        hosts = [
            create_host_app(
                session,
                slug=f"journal-host-{n}",
                name_zh=f"宿主{n}",
                name_en=f"Host {n}",
                redirect_uris=["http://127.0.0.1:9/cb"],
                actor=OPERATOR,
            )[0].client_id
            for n in range(3)
        ]
        for host in hosts:
            for appid in appids:
                open_port(session, client_id=host, appid=appid)
    return hosts, appids
