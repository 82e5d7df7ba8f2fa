"""Checkout, the customer's orders, the simulated payment, cancelling and confirming receipt.

The checkout page mints the order's idempotency key into a hidden field; placing the order
with a key that already placed one shows that order, so a double click, a reload of the
POST or a retry after a lost response never makes a second order.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.common.i18n import N_
from miniport.common.tokens import new_secret
from miniport.shop.boutiques.boutiques import list_boutiques
from miniport.shop.cart.cart import view
from miniport.shop.catalog.catalog import MAX_ID
from miniport.shop.guides.guides import guide_of
from miniport.shop.orders.orders import (
    IDEMPOTENCY_KEY,
    MAX_ADDRESS_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PHONE_LENGTH,
    CheckoutError,
    EmptyCart,
    EntrySource,
    Fulfilment,
    Handover,
    InvalidDelivery,
    UnknownBoutique,
    advance,
    detail,
    find_order,
    orders_of,
    place_order,
)
from miniport.shop.orders.states import (
    IllegalTransition,
    OrderAction,
    OrderState,
    Party,
    actions_for,
)
from miniport.shop.payments.payments import pay, payment_of
from miniport.shop.sessions.sessions import CurrentSession
from miniport.shop.web import openapi_docs
from miniport.shop.web.deps import CheckedForm, DbSession, ReadDbSession, RuntimeDep, Shopper
from miniport.shop.web.forms import FormData, FormError
from miniport.shop.web.templating import render, render_notice

# Pages are for people: only the entry and the forms are in the OpenAPI document.
router = APIRouter()

CHECKOUT_PROBLEMS: dict[type[CheckoutError], str] = {
    InvalidDelivery: N_("For delivery, please give the recipient's name, phone and address."),
    EmptyCart: N_("Your bag is empty."),
}

# An order number as the store writes them (``orders.ORDER_NUMBER``, in ASCII digits); any
# other is a page that does not exist.
OrderNumber = Annotated[str, Path(pattern=r"^[A-Z]{2,4}[0-9]{14}$")]


def order_changed(request: Request) -> Response:
    """A move the order's current state refuses (often: it changed since the page loaded)."""
    return render_notice(
        request,
        title=N_("This order has changed"),
        message=N_(
            "The order is no longer in a state that allows this. Reload it to see where it stands."
        ),
        status_code=409,
    )


def _order_not_found(request: Request) -> Response:
    return render_notice(
        request,
        title=N_("Order not found"),
        message=N_("There is no such order in your account."),
        status_code=404,
    )


def _checkout(
    request: Request,
    db: Session,
    shopper: CurrentSession,
    *,
    key: str,
    values: dict[str, Any] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "checkout.html",
        {
            "tab": "cart",
            "cart": view(db, customer_id=shopper.customer_id),
            "boutiques": list_boutiques(db),
            "guide": guide_of(db, shopper.customer_id),
            "key": key,
            "values": values or {"fulfilment": Fulfilment.DELIVERY.value},
            "problem": problem,
        },
        status_code=status_code,
    )


@router.get("/checkout", include_in_schema=False)
def checkout_page(request: Request, db: ReadDbSession, shopper: Shopper) -> Response:
    if view(db, customer_id=shopper.customer_id).empty:
        return RedirectResponse("/cart", status_code=303)
    # A fresh key for each rendering of the page: one key, at most one order.
    return _checkout(request, db, shopper, key=new_secret())


def _handover(form: FormData) -> Handover:
    """The handover the form asks for; the fields of the other kind are not read (the page
    sends both kinds' fields, whichever is chosen)."""
    fulfilment = form.text("fulfilment", max_length=16)
    if fulfilment == Fulfilment.PICKUP.value:
        boutique_id = form.integer("boutique_id", minimum=1, maximum=MAX_ID)
        return Handover(Fulfilment.PICKUP, boutique_id=boutique_id)
    if fulfilment != Fulfilment.DELIVERY.value:
        raise FormError(N_("The form could not be read."))
    return Handover(
        Fulfilment.DELIVERY,
        recipient_name=form.text("recipient_name", max_length=MAX_NAME_LENGTH),
        recipient_phone=form.text("recipient_phone", max_length=MAX_PHONE_LENGTH),
        address=form.text("address", max_length=MAX_ADDRESS_LENGTH, multiline=True),
    )


def _shown(handover: Handover) -> dict[str, Any]:
    """The form's values as read, for the checkout page shown again."""
    return {
        "fulfilment": handover.fulfilment.value,
        "boutique_id": str(handover.boutique_id or ""),
        "recipient_name": handover.recipient_name,
        "recipient_phone": handover.recipient_phone,
        "address": handover.address,
    }


@router.post(
    "/orders",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.PLACE_ORDER,
)
def place(
    request: Request, form: CheckedForm, db: DbSession, runtime: RuntimeDep, shopper: Shopper
) -> Response:
    key = form.text("idempotency_key", max_length=64)
    handover = _handover(form)
    try:
        placed = place_order(
            db,
            customer_id=shopper.customer_id,
            idempotency_key=key,
            handover=handover,
            source=EntrySource(scene=shopper.entry_scene, host=shopper.entry_host),
            number_prefix=runtime.settings.order_prefix,
            now=utcnow(),
        )
    except CheckoutError as error:
        db.rollback()
        if isinstance(error, EmptyCart):
            return RedirectResponse("/cart", status_code=303)
        problem = CHECKOUT_PROBLEMS.get(type(error), N_("The order could not be placed."))
        # The same key again, so fixing the form still places at most one order; a key
        # that was unusable (not one this store minted) is replaced.
        key = key if IDEMPOTENCY_KEY.fullmatch(key) else new_secret()
        # A boutique that is not (or no longer) the brand's is not a malformed form.
        status_code = 409 if isinstance(error, UnknownBoutique) else 400
        return _checkout(
            request,
            db,
            shopper,
            key=key,
            values=_shown(handover),
            problem=problem,
            status_code=status_code,
        )
    db.commit()
    return RedirectResponse(f"/orders/{placed.order.number}", status_code=303)


@router.get("/orders", response_class=HTMLResponse, openapi_extra=openapi_docs.ORDERS_PAGE)
def order_list(request: Request, db: ReadDbSession, shopper: Shopper) -> Response:
    return render(
        request, "orders.html", {"tab": "me", "orders": orders_of(db, shopper.customer_id)}
    )


@router.get("/orders/{number}", include_in_schema=False)
def order_page(request: Request, number: str, db: ReadDbSession, shopper: Shopper) -> Response:
    order = find_order(db, number, customer_id=shopper.customer_id)
    if order is None:
        return _order_not_found(request)
    state = OrderState(order.state)
    return render(
        request,
        "order.html",
        {
            "tab": "me",
            "detail": detail(db, order),
            "state": state,
            "actions": actions_for(state, Party.CUSTOMER),
            "payment": payment_of(db, order.id),
        },
    )


@router.get(
    "/orders/{number}/pay", response_class=HTMLResponse, openapi_extra=openapi_docs.CASHIER_PAGE
)
def cashier(request: Request, number: OrderNumber, db: ReadDbSession, shopper: Shopper) -> Response:
    order = find_order(db, number, customer_id=shopper.customer_id)
    if order is None:
        return _order_not_found(request)
    if order.state != OrderState.CREATED:
        return RedirectResponse(f"/orders/{order.number}", status_code=303)
    return render(request, "pay.html", {"tab": "me", "detail": detail(db, order)})


@router.post(
    "/orders/{number}/pay",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.PAY_ORDER,
)
def pay_order(
    request: Request, number: OrderNumber, form: CheckedForm, db: DbSession, shopper: Shopper
) -> Response:
    return _act(request, number, OrderAction.PAY, db, shopper)


# After ``/pay``, which it would also match.
@router.post(
    "/orders/{number}/{action}",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.MOVE_ORDER,
)
def act(
    request: Request,
    number: OrderNumber,
    action: Literal["cancel", "complete"],
    form: CheckedForm,
    db: DbSession,
    shopper: Shopper,
) -> Response:
    return _act(request, number, OrderAction(action), db, shopper)


def _act(
    request: Request, number: str, action: OrderAction, db: DbSession, shopper: CurrentSession
) -> Response:
    order = find_order(db, number, customer_id=shopper.customer_id)
    if order is None:
        return _order_not_found(request)
    try:
        if action == OrderAction.PAY:
            pay(db, order, now=utcnow())
        else:
            advance(db, order, action, by=Party.CUSTOMER, now=utcnow())
    except IllegalTransition:
        db.rollback()
        return order_changed(request)
    db.commit()
    if action == OrderAction.PAY:
        request.app.state.order_reports.kick()  # tell the platform now, not at the next sweep
    return RedirectResponse(f"/orders/{order.number}", status_code=303)
