"""The in-memory port snapshot: built from the database, swapped atomically on change.

Readers take ``directory.current()`` — one attribute read, never a lock, never a query.
A worker builds the whole snapshot once at start-up (``reload``); after that, each change
announced on the bus is applied by ``catch_up``: the port change journal names the ports
that changed, only those are read again, and a new snapshot that shares every untouched
host's rules with the old one (copying only the touched hosts' mappings) is installed in
one assignment. A full build avoids per-row work that adds up
at 100,000 ports: rows come from the plain DB-API cursor, the allow-list is read as text
and only parsed when it is not empty, and rules are named tuples.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from miniport.platform.ports import journal
from miniport.platform.ports.decision import HostRules, PortRule, PortSnapshot, make_rule
from miniport.platform.ports.models import HostSuspension, Port

log = logging.getLogger(__name__)

_EMPTY: frozenset[str] = frozenset()


def _allow_list(raw: str | list[str] | None) -> frozenset[str]:
    """SQLite hands JSON back as text, psycopg as a parsed list."""
    if not raw or raw == "[]":
        return _EMPTY
    return frozenset(json.loads(raw) if isinstance(raw, str) else raw)


_COLUMNS = "id, client_id, appid, state, rollout_percent, allow_list, trial_ends_at"
_CORE_COLUMNS = (
    Port.id,
    Port.client_id,
    Port.appid,
    Port.state,
    Port.rollout_percent,
    Port.allow_list,
    Port.trial_ends_at,
)
# Past this many changed ports one full read is cheaper than many ``IN`` lookups.
_INCREMENTAL_LIMIT = 2_000

Row = tuple[Any, ...]  # the columns above, in that order


def _add_rules(
    hosts: dict[str, dict[str, PortRule]],
    rows: Iterable[Row],
    suspended: frozenset[str],
    trial_end: Callable[[Any], Any] | None = None,
) -> None:
    """Put the rule of each row into ``hosts`` (client_id -> appid -> rule)."""
    intern = sys.intern  # a few hundred hosts, mini programs and states repeat across rules
    for port_id, client_id, appid, state, rollout, allow, ends in rows:
        host = intern(client_id)
        rules = hosts.get(host)
        if rules is None:
            rules = hosts[host] = {}
        rules[intern(appid)] = make_rule(
            port_id=port_id,
            state=intern(state),
            rollout_percent=rollout,
            allow_list=_allow_list(allow),
            trial_ends_at=trial_end(ends) if trial_end is not None and ends is not None else ends,
            host_suspended=client_id in suspended,
        )


def _suspended(session: Session) -> frozenset[str]:
    return frozenset(session.scalars(select(HostSuspension.client_id)))


def build_snapshot(session: Session) -> PortSnapshot:
    connection = session.connection()
    # The plain DB-API cursor: SQLAlchemy's row objects and type processing cost more than
    # the query itself at this size. Only the rare trial end goes through the column type.
    dialect = connection.dialect
    trial_end = Port.__table__.c.trial_ends_at.type.dialect_impl(dialect).result_processor(
        dialect, None
    )
    suspended = _suspended(session)
    cursor = connection.connection.cursor()
    # The collector would scan the growing heap again and again while 100,000 rules are
    # built; nothing built here forms a cycle, so it has nothing to find.
    collecting = gc.isenabled()
    gc.disable()
    try:
        cursor.execute(f"SELECT {_COLUMNS} FROM ports")  # noqa: S608  (constant text)
        hosts: dict[str, dict[str, PortRule]] = {}
        # In batches: holding every raw row at once would leave the worker that much bigger
        # for good (the allocator keeps the arenas).
        while batch := cursor.fetchmany(10_000):
            _add_rules(hosts, batch, suspended, trial_end)
    finally:
        cursor.close()
        if collecting:
            gc.enable()
    return PortSnapshot(hosts=hosts, suspended_hosts=suspended, built_at=time.time())


def apply_changes(
    session: Session, snapshot: PortSnapshot, changes: journal.Changes
) -> PortSnapshot:
    """``snapshot`` with the ports ``changes`` names read again (and gone ones dropped)."""
    suspended = _suspended(session)
    wanted = []
    if changes.ports:
        wanted.append(tuple_(Port.client_id, Port.appid).in_(sorted(changes.ports)))
    if changes.hosts:
        wanted.append(Port.client_id.in_(sorted(changes.hosts)))
    fresh: dict[str, dict[str, PortRule]] = {}
    _add_rules(fresh, session.execute(select(*_CORE_COLUMNS).where(or_(*wanted))), suspended)
    changed: dict[str, list[str]] = {client_id: [] for client_id in changes.hosts}
    for client_id, appid in changes.ports:
        changed.setdefault(client_id, []).append(appid)
    hosts: dict[str, HostRules] = dict(snapshot.hosts)
    for client_id, appids in changed.items():
        if client_id in changes.hosts:
            rules = {}  # every port of the host was read again
        else:
            rules = dict(snapshot.rules_of(client_id))
            for appid in appids:
                rules.pop(appid, None)  # read again, unless deleted with its host or app
        rules.update(fresh.get(client_id, {}))
        if rules:
            hosts[client_id] = rules
        else:
            hosts.pop(client_id, None)
    return PortSnapshot(hosts=hosts, suspended_hosts=suspended, built_at=time.time())


class PortDirectory:
    """Holds the current snapshot; the change bus calls ``catch_up``."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._reload_lock = threading.Lock()
        self._snapshot = PortSnapshot()
        self._applied_seq = 0  # the last journal row this snapshot reflects
        self.reload()

    def current(self) -> PortSnapshot:
        return self._snapshot

    def reload(self) -> PortSnapshot:
        """Build the whole snapshot again (start-up, or after writes that bypass the
        journal, as tests' direct SQL does)."""
        with self._reload_lock, self._factory() as session:
            return self._rebuild(session)

    def catch_up(self) -> PortSnapshot:
        """Apply the journal rows written since the last build or catch-up."""
        # Serialised so that two catch-ups racing cannot install the older read last.
        with self._reload_lock, self._factory() as session:
            changes = journal.changes_since(session, self._applied_seq)
            if changes is None:
                return self._snapshot
            if (
                journal.may_have_lost(changes, self._applied_seq)
                or len(changes.ports) + len(changes.hosts) > _INCREMENTAL_LIMIT
            ):
                log.info("port journal: %d rows behind, rebuilding in full", changes.rows)
                return self._rebuild(session)
            snapshot = apply_changes(session, self._snapshot, changes)
            self._snapshot, self._applied_seq = snapshot, changes.newest
            return snapshot

    def _rebuild(self, session: Session) -> PortSnapshot:
        # The position is read before the ports: a change committed in between is then both
        # in this build and after the position, and applying it again is harmless.
        seq = journal.latest_seq(session)
        snapshot = build_snapshot(session)
        self._snapshot, self._applied_seq = snapshot, seq
        return snapshot
