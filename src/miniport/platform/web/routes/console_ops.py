"""The operator console: dashboard, host apps (suspend/resume), brands, mini programs, and
the ports matrix (hosts × mini programs) with a way to open a port from an empty cell."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from miniport.common.clock import utcnow
from miniport.common.i18n import N_
from miniport.platform.audit.chain import acting_as
from miniport.platform.console.impact import impact_of
from miniport.platform.console.overview import dashboard, matrix, port_rows
from miniport.platform.console.partners import host_app
from miniport.platform.console.portview import CLOSE_CATEGORIES, parse_reason
from miniport.platform.console.staff import Forbidden
from miniport.platform.ports import lifecycle
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.models import HostSuspension
from miniport.platform.ports.states import PortState, ReasonCategory
from miniport.platform.registry.admin import list_brands, list_host_apps
from miniport.platform.registry.models import Brand, MiniProgram
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


@router.get("/console")
def console_home(staff: StaffDep) -> Response:
    """Each person lands in the first console they may use."""
    if staff.operator:
        return see_other("/console/ops")
    if staff.brand_ids:
        return see_other(f"/console/brand/{min(staff.brand_ids)}")
    if staff.host_ids:
        return see_other(f"/console/host/{min(staff.host_ids)}")
    raise Forbidden(N_("Your account has no access to the consoles."))


@router.get("/console/ops")
def ops_dashboard(request: Request, staff: StaffDep, db: ReadDbSession) -> Response:
    staff.operator_actor()
    return page(request, "ops_dashboard.html", staff, {"board": dashboard(db, now=utcnow())})


@router.get("/console/ops/matrix")
def ops_matrix(request: Request, staff: StaffDep, db: ReadDbSession) -> Response:
    staff.operator_actor()
    return page(request, "matrix.html", staff, {"m": matrix(db, now=utcnow())})


@router.post("/console/ops/ports")
def ops_open_port(request: Request, staff: StaffDep, db: DbSession, form: HtmlForm) -> Response:
    """Open a port from an empty matrix cell: applied for and approved by the operator."""
    actor = staff.operator_actor()
    check_csrf(request, form)
    client_id = form.required("client_id", max_length=64)
    appid = form.required("appid", max_length=18)
    now = utcnow()
    acting_as(db, staff.username)
    with refusals():
        port = lifecycle.apply_for_port(
            db,
            client_id=client_id,
            appid=appid,
            reason_text="opened by the platform",
            actor=actor,
            now=now,
        )
        if port.state == PortState.REQUESTED:
            lifecycle.approve(
                db, port.id, actor=actor, reason=Reason(ReasonCategory.POLICY, "opened"), now=now
            )
        db.commit()
    return see_other(f"/console/ops/ports/{port.id}", "opened")


@router.get("/console/ops/hosts")
def ops_hosts(request: Request, staff: StaffDep, db: ReadDbSession) -> Response:
    staff.operator_actor()
    hosts = list_host_apps(db)
    suspended = set(db.scalars(select(HostSuspension.client_id)))
    return page(request, "ops_hosts.html", staff, {"hosts": hosts, "suspended": suspended})


@router.get("/console/ops/hosts/{client_id}")
def ops_host(request: Request, client_id: str, staff: StaffDep, db: ReadDbSession) -> Response:
    staff.operator_actor()
    host = host_app(db, client_id)
    context = {
        "host": host,
        "suspension": db.get(HostSuspension, client_id),
        "rows": port_rows(db, client_id=client_id),
        "impact": impact_of(db, client_id=client_id, appid=None, now=utcnow()),
        "categories": CLOSE_CATEGORIES,
    }
    return page(request, "ops_host.html", staff, context)


@router.post("/console/ops/hosts/{client_id}/{action}")
def ops_host_act(
    request: Request, client_id: str, action: str, staff: StaffDep, db: DbSession, form: HtmlForm
) -> Response:
    actor = staff.operator_actor()
    check_csrf(request, form)
    if action not in ("suspend", "resume"):
        raise Forbidden(N_("The form could not be read."))
    reason = parse_reason(
        text_field(form, "category"),
        text_field(form, "reason", multiline=True),
        allowed=CLOSE_CATEGORIES,
    )
    change = lifecycle.suspend_host if action == "suspend" else lifecycle.resume_host
    acting_as(db, staff.username)
    with refusals():
        change(db, client_id=client_id, actor=actor, reason=reason, now=utcnow())
        db.commit()
    return see_other(
        f"/console/ops/hosts/{client_id}", "suspended" if action == "suspend" else "resumed"
    )


@router.get("/console/ops/brands")
def ops_brands(request: Request, staff: StaffDep, db: ReadDbSession) -> Response:
    staff.operator_actor()
    counts = dict(
        db.execute(select(MiniProgram.brand_id, func.count()).group_by(MiniProgram.brand_id)).all()
    )
    brands = list_brands(db)
    return page(request, "ops_brands.html", staff, {"brands": brands, "counts": counts})


@router.get("/console/ops/mini-programs")
def ops_mini_programs(request: Request, staff: StaffDep, db: ReadDbSession) -> Response:
    staff.operator_actor()
    programs = list(
        db.scalars(select(MiniProgram).order_by(MiniProgram.brand_id, MiniProgram.created_at))
    )
    brands = {b.id: b for b in db.scalars(select(Brand))}
    policies = {mp.appid: lifecycle.policy_of(db, mp.appid) for mp in programs}
    return page(
        request,
        "ops_programs.html",
        staff,
        {"programs": programs, "brands": brands, "policies": policies},
    )
