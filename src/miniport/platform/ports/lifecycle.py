"""Port lifecycle operations: apply, approve, reject, withdraw, close, reopen, expire, stage,
suspend and resume a host, and the brand's policy. See ``states`` for the machine.

Every operation records a ``PortTransition`` (who, when, why), writes its webhook event into
the outbox in the same transaction, and marks the ``ports`` topic changed so every worker
rebuilds its decision snapshot after the commit. Leaving ``open`` also cuts off what was
handed out under the port: unused launch codes and the run tickets covering it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from miniport.common.db import mark_changed
from miniport.platform.audit.chain import append as audit_append
from miniport.platform.audit.changes import record_change
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.oauth.models import IssuedToken, IssuedTokenApp
from miniport.platform.ports.journal import note_port_change
from miniport.platform.ports.models import (
    HostSuspension,
    MiniProgramPortPolicy,
    Port,
    PortTransition,
)
from miniport.platform.ports.states import (
    Actor,
    ActorKind,
    IllegalTransition,
    InvalidStaging,
    NotAllowed,
    PortError,
    PortNotFound,
    PortPolicy,
    PortState,
    ReasonCategory,
    StaleVersion,
    check_transition,
)
from miniport.platform.registry.models import Brand, HostApp, MiniProgram
from miniport.platform.webhooks.outbox import enqueue

MAX_REASON_LENGTH = 500
MAX_ALLOW_LIST = 1000

EVENT_FOR_STATE = {
    PortState.REQUESTED: "port.requested",
    PortState.OPEN: "port.opened",
    PortState.REJECTED: "port.rejected",
    PortState.WITHDRAWN: "port.withdrawn",
    PortState.CLOSED: "port.closed",
    PortState.EXPIRED: "port.expired",
}


@dataclass(frozen=True, slots=True)
class Reason:
    category: ReasonCategory
    text: str = ""

    def __post_init__(self) -> None:
        if len(self.text) > MAX_REASON_LENGTH:
            raise PortError(f"a reason is at most {MAX_REASON_LENGTH} characters")


def _parties(session: Session, port: Port) -> tuple[HostApp, MiniProgram, Brand]:
    host = session.get(HostApp, port.client_id)
    mini_program = session.get(MiniProgram, port.appid)
    assert host is not None and mini_program is not None  # foreign keys guarantee both
    brand = session.get(Brand, mini_program.brand_id)
    assert brand is not None
    return host, mini_program, brand


def _check_party(session: Session, port: Port, actor: Actor) -> None:
    """A host acts only on its own ports, a brand only on its own mini programs' ports."""
    if actor.kind is ActorKind.HOST and port.client_id != actor.id:
        raise PortNotFound("no such port")
    if actor.kind is ActorKind.BRAND:
        mini_program = session.get(MiniProgram, port.appid)
        if mini_program is None or str(mini_program.brand_id) != actor.id:
            raise PortNotFound("no such port")


def port_payload(port: Port) -> dict[str, Any]:
    return {
        "id": port.id,
        "client_id": port.client_id,
        "appid": port.appid,
        "state": port.state,
        "rollout_percent": port.rollout_percent,
        "trial_ends_at": port.trial_ends_at.isoformat() if port.trial_ends_at else None,
        "daily_launch_quota": port.daily_launch_quota,
        "version": port.version,
    }


def _record(
    session: Session,
    port: Port,
    *,
    from_state: PortState | None,
    to_state: PortState,
    actor: Actor,
    reason: Reason,
    now: dt.datetime,
    details: dict[str, Any] | None = None,
    event_type: str | None = None,
) -> None:
    session.add(
        PortTransition(
            port_id=port.id,
            from_state=from_state,
            to_state=to_state,
            actor_kind=actor.kind,
            actor_id=actor.id,
            reason_category=reason.category,
            reason_text=reason.text,
            details=details or {},
            at=now,
        )
    )
    # The tamper-evident record of the same decision, in the same transaction.
    audit_append(
        session,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=event_type or EVENT_FOR_STATE[to_state],
        target_kind="port",
        target_id=str(port.id),
        before=(details or {}).get("before", {"state": from_state}),
        after=(details or {}).get("after", port_payload(port)),
        reason_category=reason.category,
        reason_text=reason.text,
        at=now,
    )
    host, _mini_program, brand = _parties(session, port)
    enqueue(
        session,
        event_type=event_type or EVENT_FOR_STATE[to_state],
        data={
            "port": port_payload(port),
            "previous_state": from_state,
            "reason": {"category": reason.category, "text": reason.text},
            "actor": actor.for_partners(),
        },
        hosts=[host],
        brands=[brand],
        now=now,
    )
    note_port_change(session, client_id=port.client_id, appid=port.appid)


def _check_version(port: Port, expected_version: int | None) -> None:
    """Refuse a change made from an outdated view of the port (optimistic concurrency)."""
    if expected_version is not None and expected_version != port.version:
        raise StaleVersion("the port changed since you loaded it; reload and try again")


def _move(
    session: Session,
    port: Port,
    target: PortState,
    *,
    actor: Actor,
    reason: Reason,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Port:
    _check_party(session, port, actor)
    _check_version(port, expected_version)
    current = PortState(port.state)
    check_transition(current, target, actor)
    port.state = target
    port.updated_at = now
    port.version += 1
    session.flush()
    if current is PortState.OPEN:
        cut_off(session, client_id=port.client_id, appid=port.appid, now=now)
    _record(session, port, from_state=current, to_state=target, actor=actor, reason=reason, now=now)
    return port


def cut_off(session: Session, *, client_id: str, appid: str | None, now: dt.datetime) -> int:
    """Revoke unused launch codes and run tickets of one port (or all of a host's ports)."""
    codes = update(LaunchCode).where(
        LaunchCode.client_id == client_id,
        LaunchCode.used_at.is_(None),
        LaunchCode.revoked_at.is_(None),
    )
    tickets = select(IssuedTokenApp.digest).where(IssuedTokenApp.client_id == client_id)
    if appid is not None:
        codes = codes.where(LaunchCode.appid == appid)
        tickets = tickets.where(IssuedTokenApp.appid == appid)
    session.execute(codes.values(revoked_at=now).execution_options(synchronize_session=False))
    result = session.execute(
        update(IssuedToken)
        .where(IssuedToken.digest.in_(tickets), IssuedToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    mark_changed(session, "tokens")
    return int(getattr(result, "rowcount", 0))


def get_port(session: Session, port_id: int) -> Port:
    port = session.get(Port, port_id)
    if port is None:
        raise PortNotFound("no such port")
    return port


def find_port(session: Session, *, client_id: str, appid: str) -> Port | None:
    return session.scalar(select(Port).where(Port.client_id == client_id, Port.appid == appid))


def policy_of(session: Session, appid: str) -> PortPolicy:
    row = session.get(MiniProgramPortPolicy, appid)
    return PortPolicy(row.policy) if row else PortPolicy.REVIEW


def set_policy(
    session: Session, *, appid: str, policy: PortPolicy, actor: Actor, now: dt.datetime
) -> None:
    mini_program = session.get(MiniProgram, appid)
    if mini_program is None:
        raise PortNotFound("no such mini program")
    if actor.kind is ActorKind.BRAND and str(mini_program.brand_id) != actor.id:
        raise PortNotFound("no such mini program")
    if actor.kind not in (ActorKind.BRAND, ActorKind.OPERATOR):
        raise NotAllowed("only the brand or an operator sets a mini program's port policy")
    before = policy_of(session, appid)
    row = session.get(MiniProgramPortPolicy, appid)
    if row is None:
        session.add(MiniProgramPortPolicy(appid=appid, policy=policy, updated_at=now))
    else:
        row.policy, row.updated_at = policy, now
    session.flush()
    if before is not policy:
        # Here, not in one caller: the console, the API and the CLI all land in this function.
        record_change(
            session,
            actor,
            "mini_program.policy_changed",
            target=("mini_program", appid),
            at=now,
            before={"policy": before.value},
            after={"policy": policy.value},
        )


def apply_for_port(
    session: Session,
    *,
    client_id: str,
    appid: str,
    reason_text: str,
    actor: Actor,
    now: dt.datetime,
) -> Port:
    """A host asks to run a mini program; the brand's policy may answer at once."""
    if actor.kind is ActorKind.HOST and actor.id != client_id:
        raise NotAllowed("a host applies only for itself")
    if session.get(HostApp, client_id) is None:
        raise PortNotFound("no such host app")
    if session.get(MiniProgram, appid) is None:
        raise PortNotFound("no such mini program")
    reason = Reason(ReasonCategory.REQUEST, reason_text.strip())
    port = find_port(session, client_id=client_id, appid=appid)
    previous: PortState | None = PortState(port.state) if port else None
    check_transition(previous, PortState.REQUESTED, actor)
    if port is None:
        port = Port(client_id=client_id, appid=appid, state=PortState.REQUESTED, created_at=now)
        session.add(port)
    port.state, port.request_reason, port.updated_at = PortState.REQUESTED, reason.text, now
    port.version = (port.version or 0) + 1
    session.flush()
    _record(
        session,
        port,
        from_state=previous,
        to_state=PortState.REQUESTED,
        actor=actor,
        reason=reason,
        now=now,
    )
    policy = policy_of(session, appid)
    if policy is PortPolicy.AUTO_APPROVE:
        _move(
            session,
            port,
            PortState.OPEN,
            actor=Actor.system(),
            reason=Reason(ReasonCategory.POLICY, "approved automatically"),
            now=now,
        )
    elif policy is PortPolicy.AUTO_REFUSE:
        _move(
            session,
            port,
            PortState.REJECTED,
            actor=Actor.system(),
            reason=Reason(ReasonCategory.POLICY, "refused automatically"),
            now=now,
        )
    return port


class PortMove(Protocol):
    """The shape of ``approve``, ``reject``, ``close`` and ``reopen``, for callers that pick one."""

    def __call__(
        self,
        session: Session,
        port_id: int,
        *,
        actor: Actor,
        reason: Reason,
        now: dt.datetime,
        expected_version: int | None = None,
    ) -> Port: ...


def _move_by_id(
    session: Session,
    port_id: int,
    target: PortState,
    *,
    actor: Actor,
    reason: Reason,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Port:
    return _move(
        session,
        get_port(session, port_id),
        target,
        actor=actor,
        reason=reason,
        now=now,
        expected_version=expected_version,
    )


def approve(
    session: Session,
    port_id: int,
    *,
    actor: Actor,
    reason: Reason,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Port:
    return _move_by_id(
        session,
        port_id,
        PortState.OPEN,
        actor=actor,
        reason=reason,
        now=now,
        expected_version=expected_version,
    )


def reject(
    session: Session,
    port_id: int,
    *,
    actor: Actor,
    reason: Reason,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Port:
    return _move_by_id(
        session,
        port_id,
        PortState.REJECTED,
        actor=actor,
        reason=reason,
        now=now,
        expected_version=expected_version,
    )


def withdraw(
    session: Session, port_id: int, *, actor: Actor, reason: Reason, now: dt.datetime
) -> Port:
    return _move_by_id(session, port_id, PortState.WITHDRAWN, actor=actor, reason=reason, now=now)


def close(
    session: Session,
    port_id: int,
    *,
    actor: Actor,
    reason: Reason,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Port:
    if not reason.text.strip():
        raise PortError("closing a port needs a reason text")
    return _move_by_id(
        session,
        port_id,
        PortState.CLOSED,
        actor=actor,
        reason=reason,
        now=now,
        expected_version=expected_version,
    )


def reopen(
    session: Session,
    port_id: int,
    *,
    actor: Actor,
    reason: Reason,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Port:
    port = get_port(session, port_id)
    if port.trial_ends_at is not None and port.trial_ends_at <= now:
        # Reopening into an already-ended trial would expire again at once.
        port.trial_ends_at = None
    return _move(
        session,
        port,
        PortState.OPEN,
        actor=actor,
        reason=reason,
        now=now,
        expected_version=expected_version,
    )


def _trial_ended(now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    """Conditions matching an open port whose trial has ended by ``now``."""
    return (
        Port.state == PortState.OPEN,
        Port.trial_ends_at.is_not(None),
        Port.trial_ends_at <= now,
    )


def _expire(session: Session, port: Port, *, now: dt.datetime) -> Port:
    return _move(
        session,
        port,
        PortState.EXPIRED,
        actor=Actor.system(),
        reason=Reason(ReasonCategory.TRIAL_ENDED, "the trial window ended"),
        now=now,
    )


def due_for_expiry(session: Session, *, now: dt.datetime) -> list[int]:
    """Ids of the open ports whose trial has ended by ``now``, oldest end first."""
    return list(
        session.scalars(
            select(Port.id).where(*_trial_ended(now)).order_by(Port.trial_ends_at, Port.id)
        )
    )


def expire_port(session: Session, port_id: int, *, now: dt.datetime) -> Port | None:
    """Expire one port if it is still open and its trial has ended; ``None`` if not due.

    For several workers sweeping at once: the row is locked with ``FOR UPDATE SKIP LOCKED``
    on PostgreSQL (a port another worker is expiring right now is skipped, and one it has
    expired no longer matches), while on SQLite ``BEGIN IMMEDIATE`` has already serialised
    the writers, so the state read here is the committed one.
    """
    port = session.scalar(
        select(Port)
        .where(Port.id == port_id, *_trial_ended(now))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if port is None:
        return None
    return _expire(session, port, now=now)


def set_staging(
    session: Session,
    port_id: int,
    *,
    actor: Actor,
    rollout_percent: int,
    allow_list: Sequence[str],
    trial_ends_at: dt.datetime | None,
    daily_launch_quota: int | None,
    now: dt.datetime,
    expected_version: int | None = None,
) -> Port:
    """Change how much of an open port is open: rollout, allow-list, trial end, quota."""
    port = get_port(session, port_id)
    _check_party(session, port, actor)
    if actor.kind not in (ActorKind.BRAND, ActorKind.OPERATOR):
        raise NotAllowed("only the brand or an operator stages a port")
    if port.state != PortState.OPEN:
        raise IllegalTransition("only an open port can be staged")
    _check_version(port, expected_version)
    if not 0 <= rollout_percent <= 100:
        raise InvalidStaging("rollout_percent must be between 0 and 100")
    keys = sorted({key.strip() for key in allow_list if key.strip()})
    if len(keys) > MAX_ALLOW_LIST or any(len(key) > 128 for key in keys):
        raise InvalidStaging(f"at most {MAX_ALLOW_LIST} allow-listed users of 128 characters")
    if trial_ends_at is not None and trial_ends_at <= now:
        raise InvalidStaging("the trial must end in the future")
    if daily_launch_quota is not None and daily_launch_quota < 0:
        raise InvalidStaging("daily_launch_quota must not be negative")
    before = port_payload(port) | {"allow_list": list(port.allow_list)}
    port.rollout_percent, port.allow_list = rollout_percent, keys
    port.trial_ends_at, port.daily_launch_quota = trial_ends_at, daily_launch_quota
    port.updated_at, port.version = now, port.version + 1
    session.flush()
    after = port_payload(port) | {"allow_list": keys}
    _record(
        session,
        port,
        from_state=PortState.OPEN,
        to_state=PortState.OPEN,
        actor=actor,
        reason=Reason(ReasonCategory.OTHER, "staging changed"),
        now=now,
        details={"before": before, "after": after},
        event_type="port.staged",
    )
    return port


def suspend_host(
    session: Session, *, client_id: str, actor: Actor, reason: Reason, now: dt.datetime
) -> None:
    if actor.kind is not ActorKind.OPERATOR:
        raise NotAllowed("only an operator suspends a host app")
    host = session.get(HostApp, client_id)
    if host is None:
        raise PortNotFound("no such host app")
    if not reason.text.strip():
        raise PortError("suspending a host needs a reason text")
    if session.get(HostSuspension, client_id) is not None:
        raise IllegalTransition("the host app is already suspended")
    session.add(
        HostSuspension(
            client_id=client_id,
            reason_category=reason.category,
            reason_text=reason.text,
            actor_id=actor.id,
            at=now,
        )
    )
    session.flush()
    cut_off(session, client_id=client_id, appid=None, now=now)
    _host_event(session, host, "host.suspended", actor=actor, reason=reason, now=now)


def resume_host(
    session: Session, *, client_id: str, actor: Actor, reason: Reason, now: dt.datetime
) -> None:
    if actor.kind is not ActorKind.OPERATOR:
        raise NotAllowed("only an operator resumes a host app")
    host = session.get(HostApp, client_id)
    suspension = session.get(HostSuspension, client_id)
    if host is None:
        raise PortNotFound("no such host app")
    if suspension is None:
        raise IllegalTransition("the host app is not suspended")
    session.delete(suspension)
    session.flush()
    _host_event(session, host, "host.resumed", actor=actor, reason=reason, now=now)


def _host_event(
    session: Session,
    host: HostApp,
    event_type: str,
    *,
    actor: Actor,
    reason: Reason,
    now: dt.datetime,
) -> None:
    ports = list(session.scalars(select(Port).where(Port.client_id == host.client_id)))
    brand_of = dict(
        session.execute(
            select(MiniProgram.appid, MiniProgram.brand_id).where(
                MiniProgram.appid.in_([p.appid for p in ports])
            )
        ).all()
    )
    brands = list(session.scalars(select(Brand).where(Brand.id.in_(set(brand_of.values())))))
    suspended = event_type == "host.suspended"
    audit_append(
        session,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=event_type,
        target_kind="host",
        target_id=host.client_id,
        before={"suspended": not suspended},
        after={"suspended": suspended},
        reason_category=reason.category,
        reason_text=reason.text,
        at=now,
    )

    def data(of_ports: list[Port]) -> dict[str, Any]:
        return {
            "host": {"client_id": host.client_id, "name_zh": host.name_zh, "name_en": host.name_en},
            "ports": [port_payload(p) for p in of_ports],
            "reason": {"category": reason.category, "text": reason.text},
            "actor": actor.for_partners(),
        }

    # The host hears of all its ports; each brand only of its own, in an event of its own:
    # one brand's staging of its ports with this host is no business of another brand.
    enqueue(session, event_type=event_type, data=data(ports), hosts=[host], brands=[], now=now)
    for brand in brands:
        own = [p for p in ports if brand_of.get(p.appid) == brand.id]
        enqueue(session, event_type=event_type, data=data(own), hosts=[], brands=[brand], now=now)
    note_port_change(session, client_id=host.client_id, appid=None)
