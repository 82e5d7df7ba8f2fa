"""The in-memory port snapshot: built from the database, swapped atomically on change.

Readers take ``directory.current()`` — one attribute read, never a lock, never a query.
A rebuild reads the two small tables with Core (no ORM objects, so 100,000 ports load in
well under the 200 ms budget) and replaces the reference in one assignment.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from miniport.platform.ports.decision import PortSnapshot, make_rule
from miniport.platform.ports.models import HostSuspension, Port


def build_snapshot(session: Session) -> PortSnapshot:
    ports = Port.__table__.c
    rows = session.execute(
        select(
            ports.id,
            ports.client_id,
            ports.appid,
            ports.state,
            ports.rollout_percent,
            ports.allow_list,
            ports.trial_ends_at,
            ports.daily_launch_quota,
        )
    )
    suspended = frozenset(session.scalars(select(HostSuspension.client_id)))
    rules = {
        (client_id, appid): make_rule(
            port_id=port_id,
            state=state,
            rollout_percent=rollout,
            allow_list=frozenset(allow or ()),
            trial_ends_at=trial_ends_at,
            daily_launch_quota=quota,
            host_suspended=client_id in suspended,
        )
        for port_id, client_id, appid, state, rollout, allow, trial_ends_at, quota in rows
    }
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
