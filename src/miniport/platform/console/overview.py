"""What the operator console reads: the dashboard, the ports matrix and the request queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.miniprogram_api.quotas import day_of, launch_key
from miniport.platform.ports.models import DailyCounter, HostSuspension, Port, PortTransition
from miniport.platform.ports.states import PortState
from miniport.platform.registry.models import Brand, HostApp, MiniProgram

RECENT_CLOSES = 10


def start_of_day(now: dt.datetime) -> dt.datetime:
    """Midnight UTC, when daily quotas reset too."""
    return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class ClosedPort:
    port: Port
    transition: PortTransition
    host: HostApp
    mini_program: MiniProgram


@dataclass(frozen=True, slots=True)
class Dashboard:
    open_ports: int
    pending_requests: int
    launches_today: int
    suspended_hosts: int
    recent_closes: list[ClosedPort]


def _count_ports(session: Session, state: PortState) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Port).where(Port.state == state)) or 0
    )


def dashboard(session: Session, *, now: dt.datetime) -> Dashboard:
    launches = session.scalar(
        select(func.count())
        .select_from(LaunchCode)
        .where(LaunchCode.created_at >= start_of_day(now))
    )
    closes = session.execute(
        select(PortTransition, Port, HostApp, MiniProgram)
        .join(Port, Port.id == PortTransition.port_id)
        .join(HostApp, HostApp.client_id == Port.client_id)
        .join(MiniProgram, MiniProgram.appid == Port.appid)
        .where(PortTransition.to_state.in_([PortState.CLOSED, PortState.EXPIRED]))
        .order_by(PortTransition.id.desc())
        .limit(RECENT_CLOSES)
    ).all()
    return Dashboard(
        open_ports=_count_ports(session, PortState.OPEN),
        pending_requests=_count_ports(session, PortState.REQUESTED),
        launches_today=int(launches or 0),
        suspended_hosts=int(session.scalar(select(func.count()).select_from(HostSuspension)) or 0),
        recent_closes=[ClosedPort(port, t, host, mp) for t, port, host, mp in closes],
    )


@dataclass(frozen=True, slots=True)
class Cell:
    port: Port | None
    launches_today: int
    quota_used_today: int

    @property
    def state(self) -> str:
        return self.port.state if self.port is not None else "none"


@dataclass(frozen=True, slots=True)
class Matrix:
    hosts: list[HostApp]
    mini_programs: list[MiniProgram]
    brands: dict[int, Brand]
    suspended: frozenset[str]
    cells: dict[tuple[str, str], Cell]

    def cell(self, client_id: str, appid: str) -> Cell:
        return self.cells.get((client_id, appid), Cell(None, 0, 0))


def launches_today(
    session: Session, port_ids: Iterable[int], *, now: dt.datetime
) -> dict[int, int]:
    ids = list(port_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(LaunchCode.port_id, func.count())
        .where(LaunchCode.port_id.in_(ids), LaunchCode.created_at >= start_of_day(now))
        .group_by(LaunchCode.port_id)
    )
    return {int(port_id): int(count) for port_id, count in rows}


def quota_used_today(
    session: Session, port_ids: Iterable[int], *, now: dt.datetime
) -> dict[int, int]:
    """Units taken from each port's daily quota (counted only while a quota is set)."""
    keys = {launch_key(port_id): port_id for port_id in port_ids}
    if not keys:
        return {}
    rows = session.execute(
        select(DailyCounter.key, DailyCounter.count).where(
            DailyCounter.key.in_(list(keys)), DailyCounter.day == day_of(now)
        )
    )
    return {keys[key]: int(count) for key, count in rows}


def matrix(session: Session, *, now: dt.datetime) -> Matrix:
    hosts = list(session.scalars(select(HostApp).order_by(HostApp.created_at, HostApp.slug)))
    programs = list(
        session.scalars(select(MiniProgram).order_by(MiniProgram.brand_id, MiniProgram.created_at))
    )
    ports = list(session.scalars(select(Port)))
    launched = launches_today(session, (p.id for p in ports), now=now)
    used = quota_used_today(session, (p.id for p in ports), now=now)
    return Matrix(
        hosts=hosts,
        mini_programs=programs,
        brands={brand.id: brand for brand in session.scalars(select(Brand))},
        suspended=frozenset(session.scalars(select(HostSuspension.client_id))),
        cells={
            (p.client_id, p.appid): Cell(p, launched.get(p.id, 0), used.get(p.id, 0)) for p in ports
        },
    )


@dataclass(frozen=True, slots=True)
class PortRow:
    """A port with its two parties, as console lists show it."""

    port: Port
    host: HostApp
    mini_program: MiniProgram
    last: PortTransition | None
    launches_today: int = 0


def port_rows(
    session: Session,
    *,
    state: PortState | None = None,
    brand_id: int | None = None,
    client_id: str | None = None,
    appid: str | None = None,
    now: dt.datetime | None = None,
) -> list[PortRow]:
    query = (
        select(Port, HostApp, MiniProgram)
        .join(HostApp, HostApp.client_id == Port.client_id)
        .join(MiniProgram, MiniProgram.appid == Port.appid)
        .order_by(Port.updated_at.desc(), Port.id.desc())
    )
    if state is not None:
        query = query.where(Port.state == state)
    if brand_id is not None:
        query = query.where(MiniProgram.brand_id == brand_id)
    if client_id is not None:
        query = query.where(Port.client_id == client_id)
    if appid is not None:
        query = query.where(Port.appid == appid)
    rows = session.execute(query).all()
    now = now or utcnow()
    newest = (
        select(func.max(PortTransition.id))
        .where(PortTransition.port_id.in_([port.id for port, _h, _m in rows]))
        .group_by(PortTransition.port_id)
    )
    last = {
        t.port_id: t
        for t in session.scalars(select(PortTransition).where(PortTransition.id.in_(newest)))
    }
    launched = launches_today(session, (port.id for port, _h, _m in rows), now=now)
    return [
        PortRow(port, host, mp, last.get(port.id), launched.get(port.id, 0))
        for port, host, mp in rows
    ]
