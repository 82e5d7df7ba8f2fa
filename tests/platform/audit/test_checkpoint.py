"""Incremental verification: after a checkpoint only newer entries are read, a change to them
(or to the checkpoint's own entry) is caught at once, and a change to an older entry is left
to the full verification, which then drops the checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, text

from miniport.common.clock import utcnow
from miniport.platform.audit import checkpoint
from miniport.platform.audit.chain import Problem, append
from miniport.platform.audit.models import AuditCheckpoint, AuditEntry
from miniport.platform.runtime import PlatformRuntime


def _append(runtime: PlatformRuntime, count: int) -> None:
    with runtime.sessions() as session, session.begin():
        for n in range(count):
            append(
                session, actor_kind="operator", actor_id="olga", action="test.step",
                target_kind="port", target_id=str(n), after={"n": n}, at=utcnow(),
            )  # fmt: skip


@contextmanager
def _rows_loaded() -> Iterator[list[int]]:
    """The ``seq`` of every audit entry built from a database row while the block runs."""
    loaded: list[int] = []

    def count(entry: AuditEntry, _context: object) -> None:
        loaded.append(entry.seq)

    event.listen(AuditEntry, "load", count)
    try:
        yield loaded
    finally:
        event.remove(AuditEntry, "load", count)


def _check(runtime: PlatformRuntime) -> checkpoint.Progress:
    """One console visit: verify what is new, then remember it."""
    with runtime.read_sessions() as session:
        progress = checkpoint.verify_new(session)
    if progress.to_record:
        with runtime.sessions() as session, session.begin():
            checkpoint.record(session, progress, now=utcnow())
    return progress


def _edit(runtime: PlatformRuntime, seq: int) -> None:
    with runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET reason_text = 'rewritten' WHERE seq = :seq"),
            {"seq": seq},
        )


def _saved(runtime: PlatformRuntime) -> AuditCheckpoint | None:
    with runtime.sessions() as session:
        return session.get(AuditCheckpoint, checkpoint.CONSOLE)


def test_after_the_first_visit_only_new_entries_are_read(runtime: PlatformRuntime) -> None:
    _append(runtime, 6)
    with _rows_loaded() as loaded:
        first = _check(runtime)
    assert first.full and first.result.ok and first.result.checked == 6
    assert loaded == [1, 2, 3, 4, 5, 6]
    saved = _saved(runtime)
    assert saved is not None and (saved.seq, saved.hash) == (6, first.result.head_hash)
    assert saved.full_verified_at is not None

    _append(runtime, 3)
    with _rows_loaded() as loaded:
        second = _check(runtime)
    assert not second.full and second.start_seq == 6
    assert (second.result.ok, second.result.checked, second.result.head_seq) == (True, 3, 9)
    # The remembered entry (to confirm it is unchanged) and the three new ones: nothing older.
    assert sorted(loaded) == [6, 7, 8, 9]

    with _rows_loaded() as loaded:
        third = _check(runtime)
    assert (third.result.ok, third.result.checked, third.result.head_seq) == (True, 0, 9)
    assert loaded == [9]  # the checkpoint moved to #9 on the second visit
    assert not third.to_record


def test_an_edited_new_entry_is_caught_and_the_checkpoint_stays(runtime: PlatformRuntime) -> None:
    _append(runtime, 4)
    _check(runtime)
    _append(runtime, 3)
    _edit(runtime, 6)
    for _visit in range(2):  # reported again on the next visit: the checkpoint did not move
        progress = _check(runtime)
        assert not progress.result.ok
        assert (progress.result.broken_seq, progress.result.problem) == (6, Problem.EDITED)
    saved = _saved(runtime)
    assert saved is not None and saved.seq == 4


def test_an_edited_old_entry_is_left_to_the_full_verification(runtime: PlatformRuntime) -> None:
    _append(runtime, 5)
    _check(runtime)
    _edit(runtime, 2)
    _append(runtime, 1)

    incremental = _check(runtime)
    assert incremental.result.ok and incremental.result.checked == 1  # #2 is not read again

    with runtime.read_sessions() as session:
        full = checkpoint.verify_full(session)
    assert (full.result.ok, full.result.broken_seq, full.result.problem) == (
        False,
        2,
        Problem.EDITED,
    )
    with runtime.sessions() as session, session.begin():
        checkpoint.record(session, full, now=utcnow())
    assert _saved(runtime) is None
    # Without a checkpoint every visit walks from the first entry, so the break stays shown.
    again = _check(runtime)
    assert again.full and not again.result.ok and again.result.broken_seq == 2


def test_a_changed_or_deleted_checkpoint_entry_is_caught(runtime: PlatformRuntime) -> None:
    _append(runtime, 5)
    _check(runtime)
    _edit(runtime, 5)
    edited = _check(runtime)
    assert (edited.result.broken_seq, edited.result.problem) == (5, Problem.EDITED)

    with runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET hash = :h WHERE seq = 5"), {"h": "f" * 64}
        )
    relinked = _check(runtime)
    assert (relinked.result.broken_seq, relinked.result.problem) == (5, Problem.RELINKED)

    with runtime.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq >= 4"))
    missing = _check(runtime)
    assert (missing.result.broken_seq, missing.result.problem) == (5, Problem.MISSING)


def test_a_visit_does_not_overrule_a_full_verification_made_meanwhile(
    runtime: PlatformRuntime,
) -> None:
    _append(runtime, 3)
    _check(runtime)
    _append(runtime, 2)
    with runtime.read_sessions() as session:
        stale = checkpoint.verify_new(session)  # read before the full check below
    _edit(runtime, 1)
    with runtime.read_sessions() as session:
        full = checkpoint.verify_full(session)
    with runtime.sessions() as session, session.begin():
        checkpoint.record(session, full, now=utcnow())
    assert _saved(runtime) is None
    with runtime.sessions() as session, session.begin():
        checkpoint.record(session, stale, now=utcnow())
    assert _saved(runtime) is None


def test_an_empty_log_verifies_and_sets_no_checkpoint(runtime: PlatformRuntime) -> None:
    progress = _check(runtime)
    assert progress.result.ok and progress.result.head_seq is None
    assert _saved(runtime) is None
