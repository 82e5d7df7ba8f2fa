"""The audit chain: every governance change lands in it, and ``verify`` catches and names an
edited, deleted or inserted entry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import select, text

from miniport.common.clock import utcnow
from miniport.platform.audit.chain import (
    GENESIS,
    Problem,
    append,
    canonical,
    compute_hash,
    verify,
)
from miniport.platform.audit.models import AuditEntry
from miniport.platform.consent.grants import remember_grant, revoke_grant
from miniport.platform.ports import lifecycle
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.models import Port
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from tests.factories import OPERATOR, build_world


def _seed(runtime: PlatformRuntime, count: int = 5) -> None:
    with runtime.sessions() as session, session.begin():
        for n in range(count):
            append(
                session,
                actor_kind="operator",
                actor_id="olga",
                action="test.step",
                target_kind="port",
                target_id=str(n),
                before={"n": n},
                after={"n": n + 1, "note": "第一次"},
                reason_category="other",
                reason_text=f"step {n}",
                at=utcnow(),
            )


def _verify(runtime: PlatformRuntime) -> object:
    with runtime.sessions() as session:
        return verify(session)


def test_entries_chain_from_genesis_and_verify(runtime: PlatformRuntime) -> None:
    _seed(runtime)
    with runtime.sessions() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        result = verify(session)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(entries, entries[1:], strict=False))
    # The documented formula, recomputed independently of the module's helper.
    first = entries[0]
    fields = {
        "seq": 1, "at": first.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_kind": "operator", "actor_id": "olga", "actor_user": None,
        "action": "test.step", "target_kind": "port", "target_id": "0",
        "before": {"n": 0}, "after": {"n": 1, "note": "第一次"},
        "reason_category": "other", "reason_text": "step 0",
    }  # fmt: skip
    assert first.hash == hashlib.sha256(canonical(fields) + GENESIS.encode()).hexdigest()
    assert result.ok and result.checked == 5 and result.head_hash == entries[-1].hash


def test_an_edited_row_is_named(runtime: PlatformRuntime) -> None:
    _seed(runtime)
    with runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET reason_text = 'nothing happened' WHERE seq = 3")
        )
    result = _verify(runtime)
    assert not result.ok  # type: ignore[attr-defined]
    assert (result.broken_seq, result.problem) == (3, Problem.EDITED)  # type: ignore[attr-defined]


def test_an_edited_json_value_is_named(runtime: PlatformRuntime) -> None:
    _seed(runtime)
    with runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET after = :after WHERE seq = 2"),
            {"after": json.dumps({"n": 99, "note": "第一次"})},
        )
    result = _verify(runtime)
    assert (result.broken_seq, result.problem) == (2, Problem.EDITED)  # type: ignore[attr-defined]


def test_a_deleted_row_is_named(runtime: PlatformRuntime) -> None:
    _seed(runtime)
    with runtime.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 2"))
    result = _verify(runtime)
    assert (result.broken_seq, result.problem) == (3, Problem.MISSING)  # type: ignore[attr-defined]
    assert "#2" in result.detail  # type: ignore[attr-defined]


def test_a_deleted_first_row_is_named(runtime: PlatformRuntime) -> None:
    _seed(runtime)
    with runtime.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 1"))
    result = _verify(runtime)
    assert (result.broken_seq, result.problem) == (2, Problem.MISSING)  # type: ignore[attr-defined]


def test_a_deleted_and_renumbered_tail_is_caught_by_the_links(runtime: PlatformRuntime) -> None:
    _seed(runtime)
    with runtime.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 3"))
        connection.execute(text("UPDATE audit_entries SET seq = seq - 1 WHERE seq > 3"))
    result = _verify(runtime)
    assert (result.broken_seq, result.problem) == (3, Problem.RELINKED)  # type: ignore[attr-defined]


def test_a_forged_row_with_a_valid_own_hash_is_named(runtime: PlatformRuntime) -> None:
    """The forger replaces #3 with an entry hashed correctly over its content and #2's hash;
    #4 still links to the real #3, so the break shows right after the forgery."""
    _seed(runtime)
    with runtime.sessions() as session, session.begin():
        real = session.get(AuditEntry, 3)
        second = session.get(AuditEntry, 2)
        assert real is not None and second is not None
        session.delete(real)
        session.flush()
        forged = AuditEntry(
            seq=3, at=utcnow(), actor_kind="system", actor_id="miniport", actor_user=None,
            action="port.opened", target_kind="port", target_id="2", before=None, after=None,
            reason_category="policy", reason_text="forged", prev_hash=second.hash,
        )  # fmt: skip
        forged.hash = compute_hash(forged)
        session.add(forged)
    result = _verify(runtime)
    assert (result.broken_seq, result.problem) == (4, Problem.RELINKED)  # type: ignore[attr-defined]


def test_a_row_appended_with_a_wrong_link_is_named(runtime: PlatformRuntime) -> None:
    _seed(runtime)
    with runtime.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_entries (seq, at, actor_kind, actor_id, action, target_kind,"
                " target_id, reason_category, reason_text, prev_hash, hash) VALUES (6,"
                " '2026-01-01 00:00:00', 'operator', 'mallory', 'port.opened', 'port', '1',"
                " 'other', 'sneaky', :prev, :hash)"
            ),
            {"prev": GENESIS, "hash": "f" * 64},
        )
    result = _verify(runtime)
    assert (result.broken_seq, result.problem) == (6, Problem.RELINKED)  # type: ignore[attr-defined]


def test_a_removed_tail_is_caught_only_against_a_recorded_head(runtime: PlatformRuntime) -> None:
    _seed(runtime)
    with runtime.sessions() as session:
        recorded = verify(session).head_hash
    with runtime.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entries WHERE seq = 5"))
    with runtime.sessions() as session:
        assert verify(session).ok
        result = verify(session, expected_head=recorded)
    assert not result.ok and result.problem is Problem.HEAD_MISMATCH


def test_port_transitions_staging_suspension_and_grant_revocation_are_audited(
    runtime: PlatformRuntime,
) -> None:
    world = build_world(runtime)  # opens two ports: requested → open, twice
    now = utcnow()
    with runtime.sessions() as session, session.begin():
        port = session.scalar(select(Port).where(Port.appid == world.appid))
        assert port is not None
        lifecycle.set_staging(
            session, port.id, actor=OPERATOR, rollout_percent=30, allow_list=["k1"],
            trial_ends_at=None, daily_launch_quota=5, now=now,
        )  # fmt: skip
        lifecycle.close(
            session, port.id, actor=OPERATOR, reason=Reason(ReasonCategory.SECURITY, "leak"),
            now=now,
        )  # fmt: skip
        reason = Reason(ReasonCategory.POLICY, "review")
        lifecycle.suspend_host(
            session, client_id=world.client_id, actor=OPERATOR, reason=reason, now=now
        )
        lifecycle.resume_host(
            session, client_id=world.client_id, actor=OPERATOR, reason=reason, now=now
        )
        remember_grant(
            session, user_id=world.user_id, client_id=world.client_id, appids=[world.appid], now=now
        )
        revoke_grant(session, user_id=world.user_id, client_id=world.client_id, now=now)
        port_id = port.id
    with runtime.sessions() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        assert verify(session).ok
    actions = [e.action for e in entries]
    registered = [  # build_world registers through the audited registry functions
        "brand.created", "mini_program.created", "mini_program.created", "host.created",
        "host.created",
    ]  # fmt: skip
    assert actions == [
        *registered,
        "port.requested", "port.opened", "port.requested", "port.opened",
        "port.staged", "port.closed", "host.suspended", "host.resumed", "grant.revoked",
    ]  # fmt: skip
    entries = entries[len(registered) :]
    staged = entries[4]
    assert staged.before["rollout_percent"] == 100 and staged.after["rollout_percent"] == 30
    closed = entries[5]
    assert (closed.target_kind, closed.target_id) == ("port", str(port_id))
    assert (closed.actor_kind, closed.reason_category, closed.reason_text) == (
        "operator", "security", "leak",
    )  # fmt: skip
    assert closed.before == {"state": "open"} and closed.after["state"] == "closed"
