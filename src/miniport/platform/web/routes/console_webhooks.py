"""Webhook delivery logs in the consoles, with "resend": operators see every partner's,
a brand or host only its own (a forged resend of another partner's delivery is a 404)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniport.common.clock import utcnow
from miniport.platform.audit.chain import acting_as
from miniport.platform.console import partners
from miniport.platform.console.staff import Staff
from miniport.platform.ports.states import Actor
from miniport.platform.web.deps import DbSession, ReadDbSession
from miniport.platform.web.routes.console_common import (
    HtmlForm,
    StaffDep,
    check_csrf,
    page,
    see_other,
)

router = APIRouter(include_in_schema=False)


def _scope(staff: Staff, kind: str, key: str) -> tuple[Actor, str | None, str | None, str]:
    """(actor, partner kind, partner id, base path); operators see every partner."""
    if kind == "ops":
        return staff.operator_actor(), None, None, "/console/ops"
    if kind == "brand":
        brand_id = int(key) if key.isdigit() else -1
        return staff.brand_actor(brand_id), "brand", str(brand_id), f"/console/brand/{brand_id}"
    return staff.host_actor(key), "host", key, f"/console/host/{key}"


def _list(request: Request, staff: Staff, db: ReadDbSession, kind: str, key: str) -> Response:
    _actor, partner_kind, partner_id, base = _scope(staff, kind, key)
    rows = partners.deliveries(db, partner_kind=partner_kind, partner_id=partner_id)
    return page(request, "webhooks.html", staff, {"rows": rows, "base": base})


def _resend(
    request: Request,
    staff: Staff,
    db: DbSession,
    form: HtmlForm,
    kind: str,
    key: str,
    delivery_id: int,
) -> Response:
    actor, partner_kind, partner_id, base = _scope(staff, kind, key)
    check_csrf(request, form)
    acting_as(db, staff.username)
    partners.resend_delivery(
        db,
        delivery_id,
        partner_kind=partner_kind,
        partner_id=partner_id,
        actor=actor,
        now=utcnow(),
    )
    db.commit()
    return see_other(f"{base}/webhooks", "resent")


@router.get("/console/ops/webhooks")
def ops_webhooks(request: Request, staff: StaffDep, db: ReadDbSession) -> Response:
    return _list(request, staff, db, "ops", "")


@router.get("/console/{kind}/{key}/webhooks")
def partner_webhooks(
    request: Request, kind: str, key: str, staff: StaffDep, db: ReadDbSession
) -> Response:
    return _list(request, staff, db, "brand" if kind == "brand" else "host", key)


@router.post("/console/ops/webhooks/{delivery_id}/resend")
def ops_resend(
    request: Request, delivery_id: int, staff: StaffDep, db: DbSession, form: HtmlForm
) -> Response:
    return _resend(request, staff, db, form, "ops", "", delivery_id)


@router.post("/console/{kind}/{key}/webhooks/{delivery_id}/resend")
def partner_resend(
    request: Request,
    kind: str,
    key: str,
    delivery_id: int,
    staff: StaffDep,
    db: DbSession,
    form: HtmlForm,
) -> Response:
    return _resend(
        request, staff, db, form, "brand" if kind == "brand" else "host", key, delivery_id
    )
