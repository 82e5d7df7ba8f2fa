"""The host console: apply for ports, withdraw a pending request, follow their state and
reasons, manage redirect URIs, the webhook URL and the client secret. A host never approves:
it has no such form here, and the port lifecycle refuses a host actor's approval wherever it
is forged."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from miniport.common.clock import utcnow
from miniport.common.i18n import N_
from miniport.platform.audit.chain import acting_as
from miniport.platform.console import partners
from miniport.platform.console.overview import port_rows
from miniport.platform.console.staff import Invalid
from miniport.platform.ports import lifecycle
from miniport.platform.ports.api import MAX_APPLY_REASON
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.models import HostSuspension
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.registry import partner_webhooks
from miniport.platform.registry.admin import rotate_host_secret
from miniport.platform.registry.models import Brand, MiniProgram
from miniport.platform.web.deps import DbSession, ReadDbSession, RuntimeDep
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


@router.get("/console/host/{client_id}")
def host_home(request: Request, client_id: str, staff: StaffDep, db: ReadDbSession) -> Response:
    staff.host_actor(client_id)
    host = partners.host_app(db, client_id)
    context = {
        "host": host,
        "suspension": db.get(HostSuspension, client_id),
        "rows": port_rows(db, client_id=client_id),
        "programs": list(db.scalars(select(MiniProgram).order_by(MiniProgram.brand_id))),
        "brands": {b.id: b for b in db.scalars(select(Brand))},
        "base": f"/console/host/{client_id}",
    }
    return page(request, "host_home.html", staff, context)


@router.post("/console/host/{client_id}/{action}")
def host_act(
    request: Request,
    client_id: str,
    action: str,
    staff: StaffDep,
    db: DbSession,
    form: HtmlForm,
    runtime: RuntimeDep,
) -> Response:
    actor = staff.host_actor(client_id)
    check_csrf(request, form)
    host = partners.host_app(db, client_id)
    now = utcnow()
    base = f"/console/host/{client_id}"
    acting_as(db, staff.username)
    with refusals():
        if action == "apply":
            reason = text_field(form, "reason", multiline=True).strip()
            if not reason or len(reason) > MAX_APPLY_REASON:
                raise Invalid(N_("Say in a few words why you apply (at most 200 characters)."))
            lifecycle.apply_for_port(
                db,
                client_id=client_id,
                appid=form.required("appid", max_length=18),
                reason_text=reason,
                actor=actor,
                now=now,
            )
            done = "applied"
        elif action == "redirect-uris":
            uris = text_field(form, "redirect_uris", multiline=True).splitlines()
            partners.set_redirect_uris(
                db, host, [u.strip() for u in uris if u.strip()], actor=actor, now=now
            )
            done = "saved"
        elif action == "webhook":
            secret = partner_webhooks.set_webhook_url(
                db,
                host,
                text_field(form, "webhook_url"),
                cipher=runtime.cipher,
                actor=actor,
                now=now,
            )
            if secret is not None:
                db.commit()
                return page(
                    request,
                    "secret.html",
                    staff,
                    {"label": N_("Webhook signing secret"), "secret": secret, "back": base},
                )
            done = "saved"
        elif action == "rotate":
            _, secret = rotate_host_secret(db, client_id, actor=actor, now=now)
            db.commit()
            # Shown in this response only: the platform keeps just its digest.
            return page(
                request,
                "secret.html",
                staff,
                {"label": host.client_id, "secret": secret, "back": base},
            )
        else:
            raise Invalid(N_("The form could not be read."))
        db.commit()
    return see_other(base, done)


@router.post("/console/host/{client_id}/ports/{port_id}/withdraw")
def host_withdraw(
    request: Request,
    client_id: str,
    port_id: int,
    staff: StaffDep,
    db: DbSession,
    form: HtmlForm,
) -> Response:
    actor = staff.host_actor(client_id)
    check_csrf(request, form)
    acting_as(db, staff.username)
    # The lifecycle refuses another host's port (not found) and any state but requested.
    with refusals():
        lifecycle.withdraw(
            db, port_id, actor=actor, reason=Reason(ReasonCategory.REQUEST), now=utcnow()
        )
        db.commit()
    return see_other(f"/console/host/{client_id}", "withdrawn")
