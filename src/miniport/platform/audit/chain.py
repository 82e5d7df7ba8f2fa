"""The tamper-evident chain: appending entries and verifying the whole log.

Each entry's ``hash`` is SHA-256 over the canonical JSON of its fields (sorted keys, no
whitespace, UTF-8) followed by the previous entry's hash; the first entry links to
``GENESIS``. Changing, removing or slipping in a row therefore breaks the link at that
point, and ``verify`` names the first such link:

- an edited row no longer matches its own hash (``edited``);
- a deleted row leaves a gap in ``seq`` (``missing``), or — when the last rows were renumbered
  to hide the gap — a ``prev_hash`` that names no surviving row (``relinked``);
- an inserted row either carries a ``prev_hash`` that is not its predecessor's hash, or
  makes the next row's ``prev_hash`` wrong (``relinked``).

A writer who can rewrite *every* later row (recomputing each hash) produces a valid chain;
only an outside copy of the head hash catches that, which is why ``verify`` reports the
head and accepts an ``expected_head`` to compare with.

Appends are serialised so two writers never link to the same predecessor: SQLite's
``BEGIN IMMEDIATE`` (see ``common.db``) already holds the write lock for the whole
transaction; on PostgreSQL a transaction-scoped advisory lock does the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from miniport.platform.audit.models import AuditEntry

GENESIS = "0" * 64
# Any constant works; it only has to be the same for every writer of this database.
_PG_LOCK_KEY = 0x6D70_6175_6469_7401 & 0x7FFF_FFFF_FFFF_FFFF
_ACTING_AS = "miniport_audit_actor_user"


def _jsonable(value: Any) -> Any:
    """The value as it will come back from a JSON column, so the hash survives a reload."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
    """Everything the hash covers except ``prev_hash`` (appended after the JSON)."""
    return {
        "seq": entry.seq,
        "at": _time(entry.at),
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "actor_user": entry.actor_user,
        "action": entry.action,
        "target_kind": entry.target_kind,
        "target_id": entry.target_id,
        "before": entry.before,
        "after": entry.after,
        "reason_category": entry.reason_category,
        "reason_text": entry.reason_text,
    }


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry_fields(entry)) + entry.prev_hash.encode()).hexdigest()


def acting_as(session: Session, username: str | None) -> None:
    """Name the signed-in person behind the actions this session records next.

    Domain functions know the party acting (a brand id, a host's client id); the console knows
    which staff member clicked. Kept in ``session.info`` so no domain signature has to change.
    """
    session.info[_ACTING_AS] = username


def _lock_chain_head(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def head(session: Session) -> AuditEntry | None:
    return session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))


def append(
    session: Session,
    *,
    actor_kind: str,
    actor_id: str,
    action: str,
    target_kind: str,
    target_id: str,
    at: dt.datetime,
    before: Any = None,
    after: Any = None,
    reason_category: str = "",
    reason_text: str = "",
) -> AuditEntry:
    """Add one entry linked to the current head, in the caller's transaction (flushed)."""
    _lock_chain_head(session)
    previous = head(session)
    entry = AuditEntry(
        seq=(previous.seq + 1) if previous else 1,
        at=at,
        actor_kind=str(actor_kind),
        actor_id=str(actor_id)[:64],
        actor_user=session.info.get(_ACTING_AS),
        action=action,
        target_kind=target_kind,
        target_id=str(target_id)[:64],
        before=_jsonable(before),
        after=_jsonable(after),
        reason_category=str(reason_category),
        reason_text=reason_text,
        prev_hash=previous.hash if previous else GENESIS,
    )
    entry.hash = compute_hash(entry)
    session.add(entry)
    session.flush()
    return entry


class Problem(StrEnum):
    EDITED = "edited"
    MISSING = "missing"
    RELINKED = "relinked"
    HEAD_MISMATCH = "head_mismatch"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    checked: int
    head_seq: int | None
    head_hash: str | None
    broken_seq: int | None = None
    problem: Problem | None = None
    detail: str = ""

    def describe(self) -> str:
        if self.ok:
            where = f"head #{self.head_seq} {self.head_hash}" if self.head_seq else "empty log"
            return f"OK: {self.checked} entries, {where}"
        return f"BROKEN at #{self.broken_seq} ({self.problem}): {self.detail}"


def _entries(session: Session, after_seq: int) -> Iterator[AuditEntry]:
    # Streamed in pages so verifying a long log never holds it all in memory.
    query = (
        select(AuditEntry)
        .where(AuditEntry.seq > after_seq)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=500)
    )
    yield from session.scalars(query)


def verify(
    session: Session,
    *,
    expected_head: str | None = None,
    after_seq: int = 0,
    after_hash: str = GENESIS,
) -> VerifyResult:
    """Walk the chain; stop at, and name, the first broken link.

    By default the walk starts at the first entry. Given ``after_seq`` and ``after_hash`` (an
    entry verified earlier and its hash), it reads only the entries after that one and checks
    that they link to it: an incremental check, which by itself says nothing about entries
    up to ``after_seq`` (see ``audit.checkpoint``). ``checked`` counts the entries read.
    """
    expected_seq, expected_prev, checked = after_seq + 1, after_hash, 0
    head_seq, head_hash = (after_seq, after_hash) if after_seq else (None, None)

    def broken(seq: int, problem: Problem, detail: str) -> VerifyResult:
        return VerifyResult(
            ok=False,
            checked=checked,
            head_seq=head_seq,
            head_hash=head_hash,
            broken_seq=seq,
            problem=problem,
            detail=detail,
        )

    for entry in _entries(session, after_seq):
        if entry.seq != expected_seq:
            return broken(
                entry.seq,
                Problem.MISSING,
                f"entries #{expected_seq}..#{entry.seq - 1} are missing (deleted)",
            )
        if entry.prev_hash != expected_prev:
            return broken(
                entry.seq,
                Problem.RELINKED,
                f"prev_hash {entry.prev_hash[:12]}… is not #{entry.seq - 1}'s hash "
                f"{expected_prev[:12]}…: a row was inserted or replaced here",
            )
        if compute_hash(entry) != entry.hash:
            return broken(
                entry.seq, Problem.EDITED, "the entry's content does not match its hash (edited)"
            )
        checked += 1
        head_seq, head_hash = entry.seq, entry.hash
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    result = VerifyResult(ok=True, checked=checked, head_seq=head_seq, head_hash=head_hash)
    if expected_head is not None and expected_head != result.head_hash:
        return VerifyResult(
            ok=False,
            checked=checked,
            head_seq=result.head_seq,
            head_hash=result.head_hash,
            broken_seq=result.head_seq,
            problem=Problem.HEAD_MISMATCH,
            detail="the chain is consistent but its head is not the one recorded elsewhere "
            "(entries were rewritten or removed at the end)",
        )
    return result
