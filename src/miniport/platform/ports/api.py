"""What the governance API shows hosts and brands of their ports (plain dicts, ready for JSON).

Each reader takes the caller's identity (a host's ``client_id``, a brand's ``appid``) and
answers only about ports that caller is a party to: another party's port is reported as
``PortNotFound``, exactly like a port that does not exist, so ids cannot be probed.

The hot ``check`` lives in ``check``; this module is everything else a partner reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniport.common.clock import as_utc
from miniport.platform.ports.lifecycle import policy_of
from miniport.platform.ports.models import HostSuspension, Port, PortTransition
from miniport.platform.ports.states import (
    Actor,
    ActorKind,
    PortError,
    PortNotFound,
    PortState,
    partner_actor,
)
from miniport.platform.registry.models import HostApp, MiniProgram

# A host's reason for applying is shown to the brand's reviewers; 200 characters is a
# paragraph, enough to say who you are and why, and short enough for a review list.
MAX_APPLY_REASON = 200
# Brand and operator messages (rejections, closes) go into webhooks and audit history.
MAX_MESSAGE = 500


class InvalidPortRequest(PortError):
    """Input the ports API cannot use (the body's shape, a length, an unknown filter)."""

    code = "invalid_request"


def iso(value: dt.datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def transition_view(row: PortTransition, *, for_partner: bool = True) -> dict[str, Any]:
    """One history entry. Partners see that an operator acted, never which staff member."""
    actor = (
        partner_actor(row.actor_kind, row.actor_id)
        if for_partner
        else {"kind": row.actor_kind, "id": row.actor_id}
    )
    return {
        "from_state": row.from_state,
        "to_state": row.to_state,
        "actor": actor,
        "reason_category": row.reason_category,
        "reason": row.reason_text,
        "at": iso(row.at),
    }


def staging_view(port: Port) -> dict[str, Any]:
    return {
        "rollout_percent": port.rollout_percent,
        "allow_list": list(port.allow_list or ()),
        "trial_ends_at": iso(port.trial_ends_at),
        "daily_launch_quota": port.daily_launch_quota,
    }


def port_view(
    port: Port, last: PortTransition | None, *, host_suspended: bool, for_partner: bool = True
) -> dict[str, Any]:
    return {
        "id": port.id,
        "client_id": port.client_id,
        "appid": port.appid,
        "state": port.state,
        "host_suspended": host_suspended,
        "request_reason": port.request_reason,
        "staging": staging_view(port),
        "version": port.version,
        "created_at": iso(port.created_at),
        "updated_at": iso(port.updated_at),
        "last_transition": (
            transition_view(last, for_partner=for_partner) if last is not None else None
        ),
    }


def last_transitions(session: Session, port_ids: Iterable[int]) -> dict[int, PortTransition]:
    """The newest transition of each port, in one query."""
    ids = list(port_ids)
    if not ids:
        return {}
    newest = (
        select(func.max(PortTransition.id))
        .where(PortTransition.port_id.in_(ids))
        .group_by(PortTransition.port_id)
    )
    rows = session.scalars(select(PortTransition).where(PortTransition.id.in_(newest)))
    return {row.port_id: row for row in rows}


def history(session: Session, port_id: int) -> list[PortTransition]:
    return list(
        session.scalars(
            select(PortTransition)
            .where(PortTransition.port_id == port_id)
            .order_by(PortTransition.id)
        )
    )


def suspended_hosts(session: Session, client_ids: Iterable[str]) -> frozenset[str]:
    ids = list(set(client_ids))
    if not ids:
        return frozenset()
    return frozenset(
        session.scalars(select(HostSuspension.client_id).where(HostSuspension.client_id.in_(ids)))
    )


def port_views(
    session: Session, ports: list[Port], *, for_partner: bool = True
) -> list[dict[str, Any]]:
    last = last_transitions(session, (port.id for port in ports))
    suspended = suspended_hosts(session, (port.client_id for port in ports))
    return [
        port_view(
            port,
            last.get(port.id),
            host_suspended=port.client_id in suspended,
            for_partner=for_partner,
        )
        for port in ports
    ]


def parse_state(value: str | None) -> PortState | None:
    if value is None:
        return None
    try:
        return PortState(value)
    except ValueError:
        states = ", ".join(state.value for state in PortState)
        raise InvalidPortRequest(f"state must be one of {states}") from None


# --- hosts ---------------------------------------------------------------------------------


def host_ports(session: Session, client_id: str, *, state: PortState | None) -> dict[str, Any]:
    """Every port of one host app, newest first."""
    query = select(Port).where(Port.client_id == client_id)
    if state is not None:
        query = query.where(Port.state == state)
    ports = list(session.scalars(query.order_by(Port.id.desc())))
    return {
        "client_id": client_id,
        "host_suspended": session.get(HostSuspension, client_id) is not None,
        "ports": port_views(session, ports),
    }


def host_port(session: Session, client_id: str, port_id: int) -> Port:
    port = session.get(Port, port_id)
    if port is None or port.client_id != client_id:
        raise PortNotFound("no such port")
    return port


def port_detail(session: Session, port: Port, *, for_partner: bool = True) -> dict[str, Any]:
    """A port with its whole history, oldest first."""
    transitions = history(session, port.id)
    view = port_view(
        port,
        transitions[-1] if transitions else None,
        host_suspended=session.get(HostSuspension, port.client_id) is not None,
        for_partner=for_partner,
    )
    view["history"] = [transition_view(row, for_partner=for_partner) for row in transitions]
    return view


# --- brands --------------------------------------------------------------------------------


def brand_actor(session: Session, appid: str) -> Actor:
    """The brand entity behind a mini program, as the actor of what its token does."""
    mini_program = session.get(MiniProgram, appid)
    if mini_program is None:
        raise PortNotFound("no such mini program")
    return Actor(ActorKind.BRAND, str(mini_program.brand_id))


def brand_port(session: Session, appid: str, port_id: int) -> Port:
    """A port of this mini program. A mini program's access token speaks for that mini
    program only, not for its brand's other mini programs."""
    port = session.get(Port, port_id)
    if port is None or port.appid != appid:
        raise PortNotFound("no such port")
    return port


def brand_ports(session: Session, appid: str, *, state: PortState | None) -> dict[str, Any]:
    """Requests and ports of one mini program, newest first, with each host's names."""
    query = select(Port).where(Port.appid == appid)
    if state is not None:
        query = query.where(Port.state == state)
    ports = list(session.scalars(query.order_by(Port.id.desc())))
    hosts = {
        host.client_id: host
        for host in session.scalars(
            select(HostApp).where(HostApp.client_id.in_({port.client_id for port in ports}))
        )
    }
    views = port_views(session, ports)
    for view in views:
        host = hosts[view["client_id"]]
        view["host"] = {"name_zh": host.name_zh, "name_en": host.name_en}
    return {"appid": appid, "policy": policy_of(session, appid).value, "ports": views}
