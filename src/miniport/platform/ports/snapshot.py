"""The in-memory port snapshot: built from the database, swapped atomically on change.

Readers take ``directory.current()`` — one attribute read, never a lock, never a query.
A rebuild reads the two tables with Core and replaces the reference in one assignment. It
avoids per-row work that adds up at 100,000 ports: the allow-list is read as text and only
parsed when it is not empty, and rules are named tuples.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from miniport.platform.ports.decision import PortSnapshot, make_rule
from miniport.platform.ports.models import HostSuspension, Port

_EMPTY: frozenset[str] = frozenset()


def _allow_list(raw: str | list[str] | None) -> frozenset[str]:
    """SQLite hands JSON back as text, psycopg as a parsed list."""
    if not raw or raw == "[]":
        return _EMPTY
    return frozenset(json.loads(raw) if isinstance(raw, str) else raw)


_COLUMNS = (
    "id, client_id, appid, state, rollout_percent, allow_list, trial_ends_at, daily_launch_quota"
)


def build_snapshot(session: Session) -> PortSnapshot:
    connection = session.connection()
    # The plain DB-API cursor: SQLAlchemy's row objects and type processing cost more than
    # the query itself at this size. Only the rare trial end goes through the column type.
    dialect = connection.dialect
    trial_end = Port.__table__.c.trial_ends_at.type.dialect_impl(dialect).result_processor(
        dialect, None
    )
    cursor = connection.connection.cursor()
    try:
        cursor.execute(f"SELECT {_COLUMNS} FROM ports")  # noqa: S608  (constant text)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    suspended = frozenset(session.scalars(select(HostSuspension.client_id)))
    intern = sys.intern  # a few hundred hosts and mini programs repeat across the keys
    # The collector would scan the growing heap again and again while 100,000 rules are
    # built; nothing built here forms a cycle, so it has nothing to find.
    collecting = gc.isenabled()
    gc.disable()
    try:
        rules = {
            (intern(client_id), intern(appid)): make_rule(
                port_id=port_id,
                state=state,
                rollout_percent=rollout,
                allow_list=_allow_list(allow),
                trial_ends_at=(
                    trial_end(ends) if trial_end is not None and ends is not None else ends
                ),
                daily_launch_quota=quota,
                host_suspended=client_id in suspended,
            )
            for port_id, client_id, appid, state, rollout, allow, ends, quota in rows
        }
    finally:
        if collecting:
            gc.enable()
    return PortSnapshot(rules=rules, suspended_hosts=suspended, built_at=time.time())


class PortDirectory:
    """Holds the current snapshot; ``reload`` is called by the change bus."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self._factory = factory
        self._reload_lock = threading.Lock()
        self._snapshot = PortSnapshot()
        self.reload()

    def current(self) -> PortSnapshot:
        return self._snapshot

    def reload(self) -> PortSnapshot:
        # Serialised so that two reloads racing cannot install the older read last.
        with self._reload_lock, self._factory() as session:
            snapshot = build_snapshot(session)
            self._snapshot = snapshot
        return snapshot
