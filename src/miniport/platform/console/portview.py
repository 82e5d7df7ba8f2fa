"""One port as the console shows it, and the console's reading of staging and reason forms."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniport.common.i18n import N_
from miniport.platform.console.overview import launches_today, quota_used_today
from miniport.platform.console.staff import Invalid, NotFound
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.ports.lifecycle import MAX_REASON_LENGTH, Reason
from miniport.platform.ports.models import HostSuspension, Port, PortTransition
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.registry.models import Brand, HostApp, MiniProgram

# The reasons a person may give for a close or a suspension (``request`` is the host's own).
CLOSE_CATEGORIES: tuple[ReasonCategory, ...] = (
    ReasonCategory.POLICY,
    ReasonCategory.SECURITY,
    ReasonCategory.PARTNER_REQUEST,
    ReasonCategory.TRIAL_ENDED,
    ReasonCategory.OTHER,
)


@dataclass(frozen=True, slots=True)
class PortDetail:
    port: Port
    host: HostApp
    mini_program: MiniProgram
    brand: Brand
    history: list[PortTransition]
    host_suspended: bool
    launches_today: int
    launches_24h: int
    quota_used_today: int


def scoped_port(
    session: Session,
    port_id: int,
    *,
    brand_id: int | None = None,
    client_id: str | None = None,
) -> tuple[Port, MiniProgram]:
    """The port, if the caller's scope (a brand, a host, or none for operators) covers it."""
    port = session.get(Port, port_id)
    mini_program = session.get(MiniProgram, port.appid) if port is not None else None
    if port is None or mini_program is None:
        raise NotFound(N_("There is no such port."))
    if brand_id is not None and mini_program.brand_id != brand_id:
        raise NotFound(N_("There is no such port."))
    if client_id is not None and port.client_id != client_id:
        raise NotFound(N_("There is no such port."))
    return port, mini_program


def port_detail(
    session: Session,
    port_id: int,
    *,
    now: dt.datetime,
    brand_id: int | None = None,
    client_id: str | None = None,
) -> PortDetail:
    """The port with its history and today's launches, within the caller's scope."""
    port, mini_program = scoped_port(session, port_id, brand_id=brand_id, client_id=client_id)
    host = session.get(HostApp, port.client_id)
    brand = session.get(Brand, mini_program.brand_id)
    assert host is not None and brand is not None  # foreign keys guarantee both
    history = list(
        session.scalars(
            select(PortTransition)
            .where(PortTransition.port_id == port.id)
            .order_by(PortTransition.id.desc())
        )
    )
    day_ago = now - dt.timedelta(hours=24)
    launches_24h = session.scalar(
        select(func.count())
        .select_from(LaunchCode)
        .where(LaunchCode.port_id == port.id, LaunchCode.created_at >= day_ago)
    )
    return PortDetail(
        port=port,
        host=host,
        mini_program=mini_program,
        brand=brand,
        history=history,
        host_suspended=session.get(HostSuspension, port.client_id) is not None,
        launches_today=launches_today(session, [port.id], now=now).get(port.id, 0),
        launches_24h=int(launches_24h or 0),
        quota_used_today=quota_used_today(session, [port.id], now=now).get(port.id, 0),
    )


@dataclass(frozen=True, slots=True)
class Staging:
    rollout_percent: int
    allow_list: list[str]
    trial_ends_at: dt.datetime | None
    daily_launch_quota: int | None


def parse_staging(*, rollout: str, allow_list: str, trial_ends: str, quota: str) -> Staging:
    """Form text to staging values. Times are UTC, as the console labels them."""
    try:
        rollout_percent = int(rollout.strip())
    except ValueError:
        raise Invalid(N_("The rollout must be a whole number from 0 to 100.")) from None
    if not 0 <= rollout_percent <= 100:
        raise Invalid(N_("The rollout must be a whole number from 0 to 100."))
    trial_ends_at: dt.datetime | None = None
    if trial_ends.strip():
        try:
            trial_ends_at = dt.datetime.fromisoformat(trial_ends.strip())
        except ValueError:
            raise Invalid(N_("The trial end is not a valid date and time.")) from None
        if trial_ends_at.tzinfo is None:
            trial_ends_at = trial_ends_at.replace(tzinfo=dt.UTC)
    daily: int | None = None
    if quota.strip():
        try:
            daily = int(quota.strip())
        except ValueError:
            raise Invalid(N_("The daily quota must be a whole number, or empty.")) from None
        if daily < 0:
            raise Invalid(N_("The daily quota must be a whole number, or empty."))
    keys = [line.strip() for line in allow_list.replace(",", "\n").splitlines() if line.strip()]
    return Staging(rollout_percent, keys, trial_ends_at, daily)


def parse_reason(category: str, text: str, *, allowed: tuple[ReasonCategory, ...]) -> Reason:
    """A reason from a form; both a listed category and a text are required."""
    try:
        chosen = ReasonCategory(category)
    except ValueError:
        raise Invalid(N_("Choose a reason category.")) from None
    if chosen not in allowed:
        raise Invalid(N_("Choose a reason category."))
    if not text.strip():
        raise Invalid(N_("Write down the reason; it is sent to both partners."))
    if len(text) > MAX_REASON_LENGTH:
        raise Invalid(N_("The reason is too long."))
    return Reason(chosen, text.strip())
