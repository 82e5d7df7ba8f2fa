"""Port pages shared by the operator and brand consoles: detail, staging, approve/reject,
reopen, the request queue, and the close form with its impact preview.

The same handlers serve ``/console/ops/…`` (acting as the platform) and
``/console/brand/<id>/…`` (acting as that brand); the scope decides the actor, and the port
lifecycle decides what that actor may do, so a brand's forged "reopen" is refused there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniport.common.clock import utcnow
from miniport.common.forms import FormData
from miniport.common.i18n import N_
from miniport.platform.audit.chain import acting_as
from miniport.platform.console.impact import impact_of
from miniport.platform.console.overview import port_rows
from miniport.platform.console.portview import (
    CLOSE_CATEGORIES,
    parse_reason,
    parse_staging,
    port_detail,
    scoped_port,
)
from miniport.platform.console.staff import Invalid, Staff
from miniport.platform.ports import lifecycle
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.states import Actor, PortState, ReasonCategory
from miniport.platform.web.deps import DbSession, ReadDbSession
from miniport.platform.web.routes.console_common import (
    HtmlForm,
    StaffDep,
    check_csrf,
    page,
    refusals,
    see_other,
    text_field,
)

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class Scope:
    actor: Actor
    base: str
    brand_id: int | None

    @property
    def operator(self) -> bool:
        return self.brand_id is None


def ops_scope(staff: Staff) -> Scope:
    return Scope(staff.operator_actor(), "/console/ops", None)


def brand_scope(staff: Staff, brand_id: int) -> Scope:
    return Scope(staff.brand_actor(brand_id), f"/console/brand/{brand_id}", brand_id)


def _version(form: FormData) -> int:
    raw = form.required("version", max_length=12)
    if not raw.isdigit():
        raise Invalid(N_("The form could not be read."))
    return int(raw)


# --- pages ------------------------------------------------------------------------------


def _port_page(
    request: Request, staff: Staff, db: ReadDbSession, scope: Scope, port_id: int
) -> Response:
    detail = port_detail(db, port_id, now=utcnow(), brand_id=scope.brand_id)
    return page(
        request,
        "port.html",
        staff,
        {"scope": scope, "d": detail, "categories": CLOSE_CATEGORIES},
    )


def _close_page(
    request: Request, staff: Staff, db: ReadDbSession, scope: Scope, port_id: int
) -> Response:
    now = utcnow()
    detail = port_detail(db, port_id, now=now, brand_id=scope.brand_id)
    impact = impact_of(db, client_id=detail.port.client_id, appid=detail.port.appid, now=now)
    return page(
        request,
        "close.html",
        staff,
        {"scope": scope, "d": detail, "impact": impact, "categories": CLOSE_CATEGORIES},
    )


def _requests_page(request: Request, staff: Staff, db: ReadDbSession, scope: Scope) -> Response:
    rows = port_rows(db, state=PortState.REQUESTED, brand_id=scope.brand_id)
    return page(request, "requests.html", staff, {"scope": scope, "rows": rows})


@router.get("/console/ops/ports/{port_id}")
def ops_port(request: Request, port_id: int, staff: StaffDep, db: ReadDbSession) -> Response:
    return _port_page(request, staff, db, ops_scope(staff), port_id)


@router.get("/console/brand/{brand_id}/ports/{port_id}")
def brand_port(
    request: Request, brand_id: int, port_id: int, staff: StaffDep, db: ReadDbSession
) -> Response:
    return _port_page(request, staff, db, brand_scope(staff, brand_id), port_id)


@router.get("/console/ops/ports/{port_id}/close")
def ops_close_form(request: Request, port_id: int, staff: StaffDep, db: ReadDbSession) -> Response:
    return _close_page(request, staff, db, ops_scope(staff), port_id)


@router.get("/console/brand/{brand_id}/ports/{port_id}/close")
def brand_close_form(
    request: Request, brand_id: int, port_id: int, staff: StaffDep, db: ReadDbSession
) -> Response:
    return _close_page(request, staff, db, brand_scope(staff, brand_id), port_id)


@router.get("/console/ops/requests")
def ops_requests(request: Request, staff: StaffDep, db: ReadDbSession) -> Response:
    return _requests_page(request, staff, db, ops_scope(staff))


@router.get("/console/brand/{brand_id}/requests")
def brand_requests(request: Request, brand_id: int, staff: StaffDep, db: ReadDbSession) -> Response:
    return _requests_page(request, staff, db, brand_scope(staff, brand_id))


# --- actions ----------------------------------------------------------------------------


def _approve(db: DbSession, scope: Scope, port_id: int, form: FormData) -> str:
    message = text_field(form, "message").strip()
    lifecycle.approve(
        db,
        port_id,
        actor=scope.actor,
        reason=Reason(ReasonCategory.POLICY, message),
        now=utcnow(),
        expected_version=_version(form),
    )
    return "approved"


def _reject(db: DbSession, scope: Scope, port_id: int, form: FormData) -> str:
    message = text_field(form, "message").strip()
    if not message:
        raise Invalid(N_("Write a message for the host: it is sent with the rejection."))
    lifecycle.reject(
        db,
        port_id,
        actor=scope.actor,
        reason=Reason(ReasonCategory.POLICY, message),
        now=utcnow(),
        expected_version=_version(form),
    )
    return "rejected"


def _reopen(db: DbSession, scope: Scope, port_id: int, form: FormData) -> str:
    reason = parse_reason(
        text_field(form, "category"), text_field(form, "reason"), allowed=CLOSE_CATEGORIES
    )
    lifecycle.reopen(
        db,
        port_id,
        actor=scope.actor,
        reason=reason,
        now=utcnow(),
        expected_version=_version(form),
    )
    return "reopened"


def _stage(db: DbSession, scope: Scope, port_id: int, form: FormData) -> str:
    staging = parse_staging(
        rollout=text_field(form, "rollout_percent"),
        allow_list=text_field(form, "allow_list", multiline=True),
        trial_ends=text_field(form, "trial_ends_at"),
        quota=text_field(form, "daily_launch_quota"),
    )
    lifecycle.set_staging(
        db,
        port_id,
        actor=scope.actor,
        rollout_percent=staging.rollout_percent,
        allow_list=staging.allow_list,
        trial_ends_at=staging.trial_ends_at,
        daily_launch_quota=staging.daily_launch_quota,
        now=utcnow(),
        expected_version=_version(form),
    )
    return "staged"


def _close(db: DbSession, scope: Scope, port_id: int, form: FormData) -> str:
    reason = parse_reason(
        text_field(form, "category"),
        text_field(form, "reason", multiline=True),
        allowed=CLOSE_CATEGORIES,
    )
    lifecycle.close(
        db,
        port_id,
        actor=scope.actor,
        reason=reason,
        now=utcnow(),
        expected_version=_version(form),
    )
    return "closed"


ACTIONS: dict[str, Callable[[DbSession, Scope, int, FormData], str]] = {
    "approve": _approve,
    "reject": _reject,
    "reopen": _reopen,
    "staging": _stage,
    "close": _close,
}


def _act(
    request: Request,
    staff: Staff,
    db: DbSession,
    scope: Scope,
    port_id: int,
    action: str,
    form: FormData,
) -> Response:
    check_csrf(request, form)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Invalid(N_("The form could not be read."))
    # Scope first: a port outside this brand is "not found", whatever the action.
    scoped_port(db, port_id, brand_id=scope.brand_id)
    acting_as(db, staff.username)
    with refusals():
        done = handler(db, scope, port_id, form)
        db.commit()
    back = form.optional("back", max_length=200) or ""
    target = back if back.startswith(scope.base + "/") else f"{scope.base}/ports/{port_id}"
    return see_other(target, done)


@router.post("/console/ops/ports/{port_id}/{action}")
def ops_act(
    request: Request, port_id: int, action: str, staff: StaffDep, db: DbSession, form: HtmlForm
) -> Response:
    return _act(request, staff, db, ops_scope(staff), port_id, action, form)


@router.post("/console/brand/{brand_id}/ports/{port_id}/{action}")
def brand_act(
    request: Request,
    brand_id: int,
    port_id: int,
    action: str,
    staff: StaffDep,
    db: DbSession,
    form: HtmlForm,
) -> Response:
    return _act(request, staff, db, brand_scope(staff, brand_id), port_id, action, form)
