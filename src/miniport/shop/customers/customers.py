"""Finding or creating the customer an entry names."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniport.shop.customers.models import Customer


def upsert_customer(
    session: Session, *, openid: str, unionid: str | None, now: dt.datetime
) -> Customer:
    """The customer with this openid, created on first entry (flushed).

    The insert runs in a savepoint: two first entries of one person racing each other
    (two tabs) meet the unique openid, and the loser reads the winner's row.
    """
    customer = session.scalars(select(Customer).where(Customer.openid == openid)).first()
    if customer is None:
        customer = Customer(openid=openid, unionid=unionid, created_at=now, last_seen_at=now)
        try:
            with session.begin_nested():
                session.add(customer)
                session.flush()
            return customer
        except IntegrityError:
            customer = session.scalars(select(Customer).where(Customer.openid == openid)).one()
    # The platform may add a unionid later (the mini program joins a brand entity).
    if unionid and customer.unionid != unionid:
        customer.unionid = unionid
    customer.last_seen_at = now
    session.flush()
    return customer
