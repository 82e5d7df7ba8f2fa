"""Incremental verification: check only the entries appended since the last check.

The console's audit page used to walk the whole chain on every visit, which grows with the
log. It now remembers how far it got (an ``AuditCheckpoint``: entry ``seq`` and its hash)
and on each visit reads that one entry plus the ones after it:

- the remembered entry must still exist, still carry the remembered hash, and still match
  its own content (a cheap guard against rewriting the log from that point);
- the entries after it must follow the usual chain rules, starting from that hash.

What this cannot see is a change to an entry *before* the remembered one that leaves the
remembered row alone: those entries are not read again. Only a full walk from the first
entry catches that — ``verify_full`` here (the page's "verify everything" button) or
``miniport audit verify``, which records its result here as the button does. A failed full
walk drops the checkpoint, so every later visit walks from the first entry again and keeps
showing the break until the log is repaired.

Reading and recording are separate steps so the walk can run in a read-only transaction
and only the small update to the checkpoint takes the write lock; ``record`` moves the
checkpoint only if nobody moved or dropped it in between.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniport.platform.audit.chain import GENESIS, Problem, VerifyResult, compute_hash, verify
from miniport.platform.audit.models import AuditCheckpoint, AuditEntry

CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class Progress:
    """One verification walk and where it started.

    ``start_seq`` is 0 for a full walk (from the first entry); otherwise entries up to
    ``start_seq`` were verified by earlier walks and were not read again this time.
    """

    result: VerifyResult
    start_seq: int
    start_hash: str
    full_verified_at: dt.datetime | None

    @property
    def full(self) -> bool:
        return self.start_seq == 0

    @property
    def to_record(self) -> bool:
        """Whether ``record`` would change the checkpoint (so a write is worth taking)."""
        if self.full:
            return True
        head = self.result.head_seq
        return self.result.ok and head is not None and head > self.start_seq


def _anchor_problem(checkpoint: AuditCheckpoint, anchor: AuditEntry | None) -> VerifyResult | None:
    """Whether the remembered entry is still the one that was verified."""

    def broken(problem: Problem, detail: str) -> VerifyResult:
        return VerifyResult(
            ok=False,
            checked=0 if anchor is None else 1,
            head_seq=None,
            head_hash=None,
            broken_seq=checkpoint.seq,
            problem=problem,
            detail=detail,
        )

    if anchor is None:
        return broken(
            Problem.MISSING, f"entry #{checkpoint.seq}, verified earlier, is missing (deleted)"
        )
    if anchor.hash != checkpoint.hash:
        return broken(
            Problem.RELINKED,
            f"entry #{checkpoint.seq}'s hash changed since it was verified: "
            "the log was rewritten from there or earlier",
        )
    if compute_hash(anchor) != anchor.hash:
        return broken(Problem.EDITED, "the entry's content does not match its hash (edited)")
    return None


def verify_new(session: Session, *, name: str = CONSOLE) -> Progress:
    """Check the entries after the checkpoint (all of them when there is none yet)."""
    checkpoint = session.get(AuditCheckpoint, name)
    if checkpoint is None:
        return verify_full(session)
    problem = _anchor_problem(checkpoint, session.get(AuditEntry, checkpoint.seq))
    result = problem or verify(session, after_seq=checkpoint.seq, after_hash=checkpoint.hash)
    return Progress(
        result=result,
        start_seq=checkpoint.seq,
        start_hash=checkpoint.hash,
        full_verified_at=checkpoint.full_verified_at,
    )


def verify_full(session: Session) -> Progress:
    """Walk the whole chain from the first entry, as ``miniport audit verify`` does."""
    return Progress(result=verify(session), start_seq=0, start_hash=GENESIS, full_verified_at=None)


def record(session: Session, progress: Progress, *, now: dt.datetime, name: str = CONSOLE) -> None:
    """Remember what ``progress`` verified (flushed, not committed).

    - a full walk that passed sets the checkpoint to the head it reached;
    - a full walk that failed drops the checkpoint (nothing before the break is vouched for);
    - an incremental walk that passed moves the checkpoint forward, unless it was moved or
      dropped since the walk started (a concurrent full check knows better);
    - an incremental walk that failed leaves it, so the next visit reports the break again.
    """
    result = progress.result
    checkpoint = session.get(AuditCheckpoint, name, with_for_update=True)
    if progress.full:
        if not result.ok or result.head_seq is None or result.head_hash is None:
            if checkpoint is not None:
                session.delete(checkpoint)
                session.flush()
            return
        if checkpoint is None:
            _insert(session, name, result.head_seq, result.head_hash, now)
        elif checkpoint.seq <= result.head_seq:
            checkpoint.seq, checkpoint.hash = result.head_seq, result.head_hash
            checkpoint.verified_at = checkpoint.full_verified_at = now
        session.flush()
        return
    if not result.ok or result.head_seq is None or result.head_hash is None:
        return
    if checkpoint is None or (checkpoint.seq, checkpoint.hash) != (
        progress.start_seq,
        progress.start_hash,
    ):
        return
    if result.head_seq > checkpoint.seq:
        checkpoint.seq, checkpoint.hash = result.head_seq, result.head_hash
        checkpoint.verified_at = now
        session.flush()


def _insert(session: Session, name: str, seq: int, hash_: str, now: dt.datetime) -> None:
    try:
        # A savepoint, so losing the race to another first visit leaves the transaction usable.
        with session.begin_nested():
            session.add(
                AuditCheckpoint(
                    name=name, seq=seq, hash=hash_, verified_at=now, full_verified_at=now
                )
            )
    except IntegrityError:
        pass  # another visit set it first, from an equally valid walk
