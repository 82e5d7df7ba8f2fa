"""The simulated payment step: a cashier sheet that records a payment and marks the order paid.

A real store would hand the customer to the platform's payment service and record its
transaction when the signed notification arrives; the shape here is the same (one payment
per order, a reference, the amount taken), so that swap touches this module only.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.shop.orders.models import Order
from miniport.shop.orders.orders import advance
from miniport.shop.orders.states import OrderAction, Party
from miniport.shop.payments.models import Payment

METHOD = "simulated"


def payment_of(session: Session, order_id: int) -> Payment | None:
    return session.scalars(select(Payment).where(Payment.order_id == order_id)).first()


def pay(session: Session, order: Order, *, now: dt.datetime) -> Payment:
    """Take the order's total and mark it paid (flushed). Paying a paid order again returns
    the first payment: the customer is never charged twice."""
    existing = payment_of(session, order.id)
    if existing is not None:
        return existing
    advance(session, order, OrderAction.PAY, by=Party.CUSTOMER, now=now)
    payment = Payment(
        order_id=order.id,
        amount_cents=order.total_cents,
        method=METHOD,
        reference="SIM" + secrets.token_hex(12).upper(),
        paid_at=now,
    )
    session.add(payment)
    session.flush()
    return payment
