"""The brand console: its mini programs (edit, policy, rotate the secret), its ports, and
where it receives webhooks (the URL and the signing secret), as the host console offers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.common.forms import FormData
from miniport.common.i18n import N_
from miniport.platform.audit.chain import acting_as
from miniport.platform.console import partners
from miniport.platform.console.overview import port_rows
from miniport.platform.console.staff import Invalid, Staff
from miniport.platform.ports import lifecycle
from miniport.platform.ports.states import PortPolicy, PortState
from miniport.platform.registry import partner_webhooks
from miniport.platform.registry.admin import (
    get_brand,
    list_mini_programs,
    rotate_mini_program_secret,
)
from miniport.platform.registry.errors import RegistryError
from miniport.platform.registry.models import MiniProgram
from miniport.platform.web.deps import DbSession, ReadDbSession
from miniport.platform.web.routes.console_common import (
    FieldError,
    HtmlForm,
    StaffDep,
    check_csrf,
    page,
    refusals,
    registry_refusal,
    see_other,
    text_field,
)

router = APIRouter(include_in_schema=False)


@router.get("/console/brand/{brand_id}")
def brand_home(request: Request, brand_id: int, staff: StaffDep, db: ReadDbSession) -> Response:
    staff.brand_actor(brand_id)
    programs = list_mini_programs(db, brand_id=brand_id)
    rows = port_rows(db, brand_id=brand_id)
    context = {
        "brand": get_brand(db, brand_id),
        "programs": programs,
        "policies": {mp.appid: lifecycle.policy_of(db, mp.appid) for mp in programs},
        "rows": rows,
        "pending": sum(1 for row in rows if row.port.state == PortState.REQUESTED),
        "base": f"/console/brand/{brand_id}",
    }
    return page(request, "brand_home.html", staff, context)


@router.post("/console/brand/{brand_id}/webhook/{action}")
def brand_webhook_act(
    request: Request, brand_id: int, action: str, staff: StaffDep, db: DbSession, form: HtmlForm
) -> Response:
    """Set or remove the webhook URL (the first URL brings a new signing secret), or rotate
    the signing secret; a new secret is shown in this response only."""
    actor = staff.brand_actor(brand_id)
    check_csrf(request, form)
    brand = get_brand(db, brand_id)
    now = utcnow()
    base = f"/console/brand/{brand_id}"
    acting_as(db, staff.username)
    with refusals():
        if action == "url":
            secret = partner_webhooks.set_webhook_url(
                db, brand, text_field(form, "webhook_url"), actor=actor, now=now
            )
        elif action == "rotate":
            secret = partner_webhooks.rotate_webhook_secret(db, brand, actor=actor, now=now)
        else:
            raise Invalid(N_("The form could not be read."))
        db.commit()
    if secret is None:
        return see_other(base, "saved")
    return page(
        request,
        "secret.html",
        staff,
        {"label": N_("Webhook signing secret"), "secret": secret, "back": base},
    )


def _program_page(
    request: Request,
    db: Session,
    staff: Staff,
    brand_id: int,
    mini_program: MiniProgram,
    *,
    values: dict[str, str] | None = None,
    field_errors: dict[str, FieldError] | None = None,
) -> Response:
    """The mini program's page; after a refused edit, with what was typed and why not."""
    appid = mini_program.appid
    context = {
        "mp": mini_program,
        "values": values or _program_values(mini_program),
        "field_errors": field_errors or {},
        "policy": lifecycle.policy_of(db, appid),
        "policies": list(PortPolicy),
        "rows": port_rows(db, brand_id=brand_id, appid=appid),
        "base": f"/console/brand/{brand_id}",
    }
    status_code = 400 if field_errors else 200
    return page(request, "brand_program.html", staff, context, status_code=status_code)


def _program_values(mini_program: MiniProgram) -> dict[str, str]:
    return {
        "name_zh": mini_program.name_zh,
        "name_en": mini_program.name_en,
        "icon_url": mini_program.icon_url,
        "entry_url": mini_program.entry_url,
        "allowed_paths": "\n".join(mini_program.allowed_paths),
    }


# The form field each registry refusal is about (the registry names some in words).
_FORM_FIELDS = {"icon URL": "icon_url", "entry URL": "entry_url"}


@router.get("/console/brand/{brand_id}/mp/{appid}")
def brand_program(
    request: Request, brand_id: int, appid: str, staff: StaffDep, db: ReadDbSession
) -> Response:
    staff.brand_actor(brand_id)
    mini_program = partners.brand_mini_program(db, brand_id, appid)
    return _program_page(request, db, staff, brand_id, mini_program)


def _edit_program(
    request: Request,
    db: Session,
    staff: Staff,
    brand_id: int,
    mini_program: MiniProgram,
    form: FormData,
) -> Response:
    typed = {
        name: text_field(form, name, multiline=name == "allowed_paths")
        for name in ("name_zh", "name_en", "icon_url", "entry_url", "allowed_paths")
    }
    paths = [path.strip() for path in typed["allowed_paths"].splitlines() if path.strip()]
    try:
        partners.update_mini_program(
            db,
            mini_program,
            name_zh=typed["name_zh"],
            name_en=typed["name_en"],
            icon_url=typed["icon_url"].strip(),
            entry_url=typed["entry_url"].strip(),
            allowed_paths=paths,
            actor=staff.brand_actor(brand_id),
            now=utcnow(),
        )
    except RegistryError as error:
        db.rollback()
        field = _FORM_FIELDS.get(error.field or "", error.field or "name_zh")
        errors = {field: registry_refusal(error)}
        return _program_page(
            request, db, staff, brand_id, mini_program, values=typed, field_errors=errors
        )
    db.commit()
    return see_other(f"/console/brand/{brand_id}/mp/{mini_program.appid}", "saved")


@router.post("/console/brand/{brand_id}/mp/{appid}/{action}")
def brand_program_act(
    request: Request,
    brand_id: int,
    appid: str,
    action: str,
    staff: StaffDep,
    db: DbSession,
    form: HtmlForm,
) -> Response:
    actor = staff.brand_actor(brand_id)
    check_csrf(request, form)
    mini_program = partners.brand_mini_program(db, brand_id, appid)
    now = utcnow()
    back = f"/console/brand/{brand_id}/mp/{appid}"
    acting_as(db, staff.username)
    if action == "edit":
        return _edit_program(request, db, staff, brand_id, mini_program, form)
    with refusals():
        if action == "policy":
            try:
                policy = PortPolicy(text_field(form, "policy"))
            except ValueError:
                raise Invalid(N_("Choose a policy.")) from None
            lifecycle.set_policy(db, appid=mini_program.appid, policy=policy, actor=actor, now=now)
            done = "saved"
        elif action == "rotate":
            _, secret = rotate_mini_program_secret(db, appid, actor=actor, now=now)
            db.commit()
            # Shown in this response only: the platform keeps just its digest.
            return page(
                request,
                "secret.html",
                staff,
                {"label": mini_program.appid, "secret": secret, "back": back},
            )
        else:
            raise Invalid(N_("The form could not be read."))
        db.commit()
    return see_other(back, done)
