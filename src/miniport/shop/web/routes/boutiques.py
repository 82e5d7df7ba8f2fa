"""Online to offline: boutiques, booking a visit, and the shopping guides' share links."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from miniport.common.clock import utcnow
from miniport.common.i18n import N_
from miniport.shop.appointments.appointments import (
    MAX_NOTE_LENGTH,
    AppointmentError,
    Purpose,
    book,
    booking_days,
)
from miniport.shop.boutiques.boutiques import get_boutique, list_boutiques, opening_slots
from miniport.shop.catalog.catalog import MAX_ID
from miniport.shop.guides.guides import attribute, find_guide, guide_of, guides_of
from miniport.shop.web import openapi_docs
from miniport.shop.web.deps import CheckedForm, DbSession, OptionalShopper, ReadDbSession, Shopper
from miniport.shop.web.forms import FormError
from miniport.shop.web.framing import set_session_cookie
from miniport.shop.web.templating import render, render_notice

# Pages are for people: only the entry and the forms are in the OpenAPI document.
router = APIRouter()

# A guide link opened before the customer has a session waits this long for one.
PENDING_GUIDE_SECONDS = 7 * 24 * 3600


@router.get("/boutiques", include_in_schema=False)
def boutique_list(request: Request, db: ReadDbSession) -> Response:
    boutiques = list_boutiques(db)
    return render(
        request,
        "boutiques.html",
        {"tab": "me", "boutiques": [(b, guides_of(db, b.id)) for b in boutiques]},
    )


@router.get("/appointments/new", include_in_schema=False)
def new_appointment(request: Request, db: ReadDbSession, shopper: Shopper) -> Response:
    boutiques = list_boutiques(db)
    asked = request.query_params.get("boutique", "")
    chosen = get_boutique(db, int(asked)) if asked.isdigit() and len(asked) < 10 else None
    chosen = chosen or (boutiques[0] if boutiques else None)
    return render(
        request,
        "appointment.html",
        {
            "tab": "me",
            "boutiques": boutiques,
            "chosen": chosen,
            "days": booking_days(utcnow()),
            "slots": opening_slots(chosen) if chosen else [],
            "purposes": list(Purpose),
            "guide": guide_of(db, shopper.customer_id),
            "max_note": MAX_NOTE_LENGTH,
        },
    )


@router.post(
    "/appointments",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.BOOK_VISIT,
)
def create_appointment(
    request: Request, form: CheckedForm, db: DbSession, shopper: Shopper
) -> Response:
    boutique_id = form.integer("boutique_id", minimum=1, maximum=MAX_ID)
    try:
        day = dt.date.fromisoformat(form.text("day", max_length=10))
        time = dt.time.fromisoformat(form.text("time", max_length=5))
        purpose = Purpose(form.text("purpose", max_length=16))
    except FormError:
        raise
    except ValueError:
        raise FormError(N_("The form could not be read.")) from None
    # The customer's guide joins the visit when it is at the guide's own boutique.
    guide = guide_of(db, shopper.customer_id)
    try:
        appointment = book(
            db,
            customer_id=shopper.customer_id,
            boutique_id=boutique_id,
            day=day,
            time=time,
            purpose=purpose,
            note=form.text("note", max_length=MAX_NOTE_LENGTH, multiline=True),
            guide_id=guide.id if guide is not None and guide.boutique_id == boutique_id else None,
            now=utcnow(),
        )
    except AppointmentError:
        # Well formed, but not a slot the booking page offered (or no longer does).
        db.rollback()
        return render_notice(
            request,
            title=N_("This time cannot be booked"),
            message=N_("Please choose one of the days and times offered on the booking page."),
            status_code=409,
        )
    db.commit()
    return RedirectResponse(f"/me?booked={appointment.id}", status_code=303)


@router.get("/g/{code}", include_in_schema=False)
def guide_link(request: Request, code: str, db: DbSession, shopper: OptionalShopper) -> Response:
    guide = find_guide(db, code)
    if guide is None:
        return render_notice(
            request,
            title=N_("This guide link is not valid"),
            message=N_("Please ask your shopping guide for a new link."),
            status_code=404,
        )
    if shopper is not None:
        attribute(db, customer_id=shopper.customer_id, guide=guide, now=utcnow())
        db.commit()
    response = render(
        request,
        "guide.html",
        {
            "tab": "me",
            "guide": guide,
            "boutique": get_boutique(db, guide.boutique_id),
            "attributed": shopper is not None,
        },
    )
    if shopper is None:
        # No session yet (opened outside the app): remember the guide until the customer
        # enters through the mini program, where the entry credits them.
        settings = request.app.state.runtime.settings
        set_session_cookie(
            response,
            name=settings.guide_cookie,
            value=guide.share_code,
            max_age=PENDING_GUIDE_SECONDS,
            secure=settings.secure_cookies,
        )
    return response
