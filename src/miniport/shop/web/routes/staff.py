"""The brand's staff pages: every order with its boutique, guide and entry source; shipping,
completing and cancelling; the appointment book.

Signed in with the staff password from the settings (``MINIPORT_SHOP_STAFF_PASSWORD``, or
the one generated into ``data_dir/shop-<slug>-staff-password.secret``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from miniport.common.clock import utcnow
from miniport.common.i18n import N_
from miniport.shop import staff
from miniport.shop.appointments.appointments import all_appointments
from miniport.shop.orders.orders import advance, all_orders, find_order
from miniport.shop.orders.states import (
    IllegalTransition,
    OrderAction,
    OrderState,
    Party,
    actions_for,
)
from miniport.shop.web import openapi_docs
from miniport.shop.web.deps import (
    CheckedForm,
    DbSession,
    ReadDbSession,
    RuntimeDep,
    StaffOnlyDep,
)
from miniport.shop.web.framing import delete_session_cookie, set_session_cookie
from miniport.shop.web.routes.orders import OrderNumber, order_changed
from miniport.shop.web.templating import render, render_notice

# Pages are for people: only the entry and the forms are in the OpenAPI document.
router = APIRouter()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _throttle(request: Request) -> staff.SigninThrottle:
    throttle: staff.SigninThrottle = request.app.state.staff_throttle
    return throttle


@router.get(
    "/staff/signin", response_class=HTMLResponse, openapi_extra=openapi_docs.STAFF_SIGNIN_PAGE
)
def signin_page(request: Request) -> Response:
    return render(request, "staff/signin.html", {"problem": None})


@router.post(
    "/staff/signin",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.STAFF_SIGNIN,
)
def signin(request: Request, form: CheckedForm, runtime: RuntimeDep) -> Response:
    address, throttle = _client(request), _throttle(request)
    if throttle.blocked(address):
        return render(
            request,
            "staff/signin.html",
            {"problem": N_("Too many wrong passwords. Please wait a few minutes.")},
            status_code=429,
        )
    given = form.text("password", max_length=256)
    if not staff.password_matches(given, runtime.staff_password):
        throttle.failed(address)
        return render(
            request, "staff/signin.html", {"problem": N_("Wrong password.")}, status_code=401
        )
    throttle.succeeded(address)
    settings = runtime.settings
    lifetime = dt.timedelta(hours=settings.staff_session_hours)
    response = RedirectResponse("/staff/orders", status_code=303)
    set_session_cookie(
        response,
        name=settings.staff_cookie,
        value=staff.issue_token(
            runtime.cookie_key, runtime.staff_password, now=utcnow(), lifetime=lifetime
        ),
        max_age=int(lifetime.total_seconds()),
        secure=settings.secure_cookies,
    )
    return response


@router.post(
    "/staff/signout",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.STAFF_SIGNOUT,
)
def signout(form: CheckedForm, runtime: RuntimeDep) -> Response:
    response = RedirectResponse("/staff/signin", status_code=303)
    settings = runtime.settings
    delete_session_cookie(response, name=settings.staff_cookie, secure=settings.secure_cookies)
    return response


@router.get("/staff", dependencies=[StaffOnlyDep], include_in_schema=False)
def staff_home() -> Response:
    return RedirectResponse("/staff/orders", status_code=303)


@router.get("/staff/orders", dependencies=[StaffOnlyDep], include_in_schema=False)
def staff_orders(request: Request, db: ReadDbSession) -> Response:
    asked = request.query_params.get("state", "")
    state = OrderState(asked) if asked in set(OrderState) else None
    orders = all_orders(db, state=state)
    return render(
        request,
        "staff/orders.html",
        {
            "orders": [(d, actions_for(OrderState(d.order.state), Party.STAFF)) for d in orders],
            "states": list(OrderState),
            "state": state,
        },
    )


@router.post(
    "/staff/orders/{number}/{action}",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.STAFF_MOVE_ORDER,
)
def staff_act(
    request: Request,
    number: OrderNumber,
    action: Literal["ship", "complete", "cancel"],
    form: CheckedForm,
    db: DbSession,
    # After the form: a malformed or forged request is refused as such, signed in or not.
    _staff: None = StaffOnlyDep,
) -> Response:
    order = find_order(db, number)
    if order is None:
        return render_notice(
            request,
            title=N_("Order not found"),
            message=N_("There is no such order."),
            status_code=404,
        )
    try:
        advance(db, order, OrderAction(action), by=Party.STAFF, now=utcnow())
    except IllegalTransition:
        db.rollback()
        return order_changed(request)
    db.commit()
    return RedirectResponse(f"/staff/orders#order-{order.number}", status_code=303)


@router.get("/staff/appointments", dependencies=[StaffOnlyDep], include_in_schema=False)
def staff_appointments(request: Request, db: ReadDbSession) -> Response:
    return render(request, "staff/appointments.html", {"bookings": all_appointments(db)})
