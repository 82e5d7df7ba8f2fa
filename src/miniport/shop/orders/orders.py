"""Placing orders from the cart, exactly once per checkout, and moving them along.

Checkout is idempotent: the checkout page carries a random key, and the order is unique per
(customer, key). A double click, a browser retry or two racing requests with one key find
the same order. The lookup comes first, so a retry after the cart was emptied by the first
request still lands on the order it made; the unique constraint catches the race the
lookup cannot see (two requests both finding nothing), and the loser returns the winner's
order.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniport.shop.boutiques.boutiques import CHINA_TIME, get_boutique
from miniport.shop.boutiques.models import Boutique
from miniport.shop.cart.cart import clear, view
from miniport.shop.catalog.money import CURRENCY
from miniport.shop.customers.models import Customer
from miniport.shop.guides.models import Guide
from miniport.shop.orders.models import Order, OrderLine
from miniport.shop.orders.states import (
    IllegalTransition,
    OrderAction,
    OrderState,
    Party,
    transition,
)

IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
ORDER_NUMBER = re.compile(r"[A-Z]{2,4}\d{14}")
MAX_NAME_LENGTH = 64
MAX_PHONE_LENGTH = 32
MAX_ADDRESS_LENGTH = 300
_NUMBER_ATTEMPTS = 5

# When each state was reached, for the order's timeline.
_STAMPS = {
    OrderState.PAID: "paid_at",
    OrderState.SHIPPED: "shipped_at",
    OrderState.COMPLETED: "completed_at",
    OrderState.CANCELLED: "cancelled_at",
}


class Fulfilment(StrEnum):
    DELIVERY = "delivery"
    PICKUP = "pickup"  # collected at a boutique


class CheckoutError(Exception):
    """An order that cannot be placed as asked."""


class EmptyCart(CheckoutError):
    pass


class InvalidKey(CheckoutError):
    pass


class InvalidDelivery(CheckoutError):
    """Delivery needs a recipient, a phone number and an address."""


class UnknownBoutique(CheckoutError):
    pass


@dataclass(frozen=True, slots=True)
class Handover:
    """How the customer receives the order."""

    fulfilment: Fulfilment
    boutique_id: int | None = None
    recipient_name: str = ""
    recipient_phone: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class EntrySource:
    """Where the customer came from: the platform's scene value and the host app, if known."""

    scene: int | None
    host: str | None


@dataclass(frozen=True, slots=True)
class Placed:
    order: Order
    created: bool  # False: this key had already placed ``order``


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: Order
    lines: tuple[OrderLine, ...]
    boutique: Boutique | None
    guide: Guide | None


def new_order_number(prefix: str, now: dt.datetime) -> str:
    """``GC`` + local date ``YYMMDD`` + 8 random digits: readable on the phone, not guessable
    in sequence (so a number reveals nothing about how many orders the store takes)."""
    day = now.astimezone(CHINA_TIME).strftime("%y%m%d")
    return f"{prefix}{day}{secrets.randbelow(10**8):08d}"


def _by_key(session: Session, customer_id: int, key: str) -> Order | None:
    return session.scalars(
        select(Order).where(Order.customer_id == customer_id, Order.idempotency_key == key)
    ).first()


def _check_handover(session: Session, handover: Handover) -> Handover:
    if handover.fulfilment is Fulfilment.PICKUP:
        if handover.boutique_id is None or get_boutique(session, handover.boutique_id) is None:
            raise UnknownBoutique("pick-up needs one of the brand's boutiques")
        return Handover(Fulfilment.PICKUP, boutique_id=handover.boutique_id)
    name = handover.recipient_name.strip()
    phone = handover.recipient_phone.strip()
    address = handover.address.strip()
    if (
        not name
        or not phone
        or not address
        or len(name) > MAX_NAME_LENGTH
        or len(phone) > MAX_PHONE_LENGTH
        or len(address) > MAX_ADDRESS_LENGTH
    ):
        raise InvalidDelivery("delivery needs a recipient, a phone number and an address")
    return Handover(
        Fulfilment.DELIVERY, recipient_name=name, recipient_phone=phone, address=address
    )


def place_order(
    session: Session,
    *,
    customer_id: int,
    idempotency_key: str,
    handover: Handover,
    source: EntrySource,
    number_prefix: str,
    now: dt.datetime,
) -> Placed:
    """Turn the cart into an order (flushed; the caller commits), or find the order this
    key already placed."""
    if not IDEMPOTENCY_KEY.fullmatch(idempotency_key):
        raise InvalidKey("the checkout key is missing or malformed")
    # The handover is judged first, so a form gets the same verdict whether the bag is
    # empty or its key placed an order already.
    handover = _check_handover(session, handover)
    existing = _by_key(session, customer_id, idempotency_key)
    if existing is not None:
        return Placed(existing, created=False)
    cart = view(session, customer_id=customer_id)
    if cart.empty:
        raise EmptyCart("nothing to order")
    customer = session.get(Customer, customer_id)
    guide_id = customer.guide_id if customer is not None else None
    for _attempt in range(_NUMBER_ATTEMPTS):
        order = Order(
            number=new_order_number(number_prefix, now),
            customer_id=customer_id,
            idempotency_key=idempotency_key,
            state=OrderState.CREATED.value,
            currency=CURRENCY,
            item_count=cart.count,
            total_cents=cart.total_cents,
            fulfilment=handover.fulfilment.value,
            boutique_id=handover.boutique_id,
            recipient_name=handover.recipient_name,
            recipient_phone=handover.recipient_phone,
            address=handover.address,
            guide_id=guide_id,
            entry_scene=source.scene,
            entry_host=source.host,
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(order)
                session.flush()
                session.add_all(
                    OrderLine(
                        order_id=order.id,
                        product_id=item.product.id,
                        sku=item.product.sku,
                        name_zh=item.product.name_zh,
                        name_en=item.product.name_en,
                        unit_price_cents=item.product.price_cents,
                        quantity=item.quantity,
                        line_total_cents=item.total_cents,
                    )
                    for item in cart.items
                )
                session.flush()
        except IntegrityError:
            # Either a racing request placed this key's order first, or (rarely) the random
            # order number was taken: the first returns that order, the second tries again.
            # Rolling back the savepoint has already taken the new rows out of the session.
            existing = _by_key(session, customer_id, idempotency_key)
            if existing is not None:
                return Placed(existing, created=False)
            continue
        clear(session, customer_id=customer_id)
        return Placed(order, created=True)
    raise RuntimeError("could not find a free order number")


def find_order(session: Session, number: str, *, customer_id: int | None = None) -> Order | None:
    """An order by number; with ``customer_id``, only if it is that customer's."""
    if not ORDER_NUMBER.fullmatch(number):
        return None
    query = select(Order).where(Order.number == number)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    return session.scalars(query).first()


def detail(session: Session, order: Order) -> OrderDetail:
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)
    ).all()
    return OrderDetail(
        order=order,
        lines=tuple(lines),
        boutique=session.get(Boutique, order.boutique_id) if order.boutique_id else None,
        guide=session.get(Guide, order.guide_id) if order.guide_id else None,
    )


def orders_of(session: Session, customer_id: int) -> list[OrderDetail]:
    """A customer's orders, newest first."""
    orders = session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
    ).all()
    return [detail(session, order) for order in orders]


def all_orders(
    session: Session, *, state: OrderState | None = None, limit: int = 200
) -> list[OrderDetail]:
    """Every order, newest first (the brand's staff page)."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Order.state == state.value)
    return [detail(session, order) for order in session.scalars(query).all()]


def advance(
    session: Session, order: Order, action: OrderAction, *, by: Party, now: dt.datetime
) -> Order:
    """Apply ``action`` to ``order`` (flushed); raises ``IllegalTransition`` off the diagram.

    The update is conditional on the state it was decided from, so of two racing moves
    (a customer cancelling while staff ship) only one lands; the other is refused as if it
    had come second.
    """
    current = OrderState(order.state)
    target = transition(current, action, by=by)
    values: dict[str, object] = {"state": target.value}
    if stamp := _STAMPS.get(target):
        values[stamp] = now
    changed = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.state == current.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(order)
        raise IllegalTransition(OrderState(order.state), action)
    session.refresh(order)
    return order
