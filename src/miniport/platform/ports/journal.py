"""The port change journal: which ports changed, in commit order.

A worker's snapshot holds every port; rebuilding it from the whole table after each change
costs hundreds of milliseconds at 100,000 ports. Instead every transaction that changes a
port writes a journal row naming it, and a worker that hears "ports" on the change bus reads
the rows after the last one it applied and re-reads just those ports (``snapshot``).

That is only sound if the numbers come in commit order: a reader that has applied row 11
must never later find a row 10 that committed after it. SQLite gives this for free, as it
runs one writing transaction at a time. On PostgreSQL a sequence does not (numbers are taken
at insert, commits land in any order), so the row is written by the last action before the
commit while holding a transaction-level advisory lock: the next journal writer waits for
this commit before it takes its number. Port changes are operator and partner actions, a
few per second at most, so serialising their last step costs nothing that matters, and
because nothing else is locked after the advisory lock, it cannot take part in a deadlock.

Re-reading a port is idempotent, so a row applied twice, or a change seen in the table
before its row is read, does no harm. The journal keeps the last ``KEPT_CHANGES`` rows; a
worker further behind than that rebuilds in full.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.common.db import before_commit, mark_changed
from miniport.platform.ports.models import PortChange

KEPT_CHANGES = 10_000
# Any constant works; this one spells "mport" so it is recognisable in pg_locks.
_ADVISORY_LOCK_KEY = 0x6D706F7274
_PENDING = "miniport_pending_port_changes"


def note_port_change(session: Session, *, client_id: str, appid: str | None) -> None:
    """Journal that this transaction changes the port ``(client_id, appid)`` — or, with
    ``appid=None``, every port of the host — and announce it on the bus after the commit."""
    pending: set[tuple[str, str | None]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = set()
        session.info[_PENDING] = pending
        before_commit(session, lambda: _write(session))
    pending.add((client_id, appid))
    mark_changed(session, "ports")


def _write(session: Session) -> None:
    pending: set[tuple[str, str | None]] = session.info.pop(_PENDING, set())
    if not pending:
        return
    session.flush()  # every row lock this transaction needs, before the journal's lock
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY})
    now = utcnow()
    session.execute(
        insert(PortChange),
        [
            {"client_id": client_id, "appid": appid, "at": now}
            for client_id, appid in sorted(pending, key=lambda change: (change[0], change[1] or ""))
        ],
    )
    # Readers rely only on the last KEPT_CHANGES rows being there; older ones go. Through
    # the primary key this deletes one row or none, so it runs on every write.
    newest = latest_seq(session)
    session.execute(delete(PortChange).where(PortChange.seq <= newest - KEPT_CHANGES))


@dataclass(frozen=True, slots=True)
class Changes:
    """Journal rows after a reader's position."""

    newest: int  # the last row's number, the reader's next position
    ports: frozenset[tuple[str, str]]
    hosts: frozenset[str]  # every port of these hosts changed (suspended or resumed)
    rows: int


def latest_seq(session: Session) -> int:
    return session.scalar(select(func.max(PortChange.seq))) or 0


def changes_since(session: Session, seq: int) -> Changes | None:
    """The rows after ``seq``; ``None`` when nothing changed."""
    rows = session.execute(
        select(PortChange.seq, PortChange.client_id, PortChange.appid)
        .where(PortChange.seq > seq)
        .order_by(PortChange.seq)
    ).all()
    if not rows:
        return None
    return Changes(
        newest=rows[-1].seq,
        ports=frozenset((row.client_id, row.appid) for row in rows if row.appid is not None),
        hosts=frozenset(row.client_id for row in rows if row.appid is None),
        rows=len(rows),
    )


def may_have_lost(changes: Changes, seq: int) -> bool:
    """Could rows after ``seq`` have been pruned before this reader saw them?"""
    return changes.newest - KEPT_CHANGES > seq
