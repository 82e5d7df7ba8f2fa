"""Shopping guides and the credit their share links earn.

A guide shares ``/g/<share_code>``. A customer who opens it is attributed to that guide,
and every order they place afterwards carries the guide, until they open another guide's
link: the latest link wins, because the guide who spoke to the customer last is the one
most likely to have led to the purchase. Attribution is credit, not access, so the share
codes are public and grant nothing else.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.shop.customers.models import Customer
from miniport.shop.guides.models import Guide

SHARE_CODE = re.compile(r"[A-Za-z0-9-]{3,32}")


def find_guide(session: Session, share_code: str | None) -> Guide | None:
    if not share_code or not SHARE_CODE.fullmatch(share_code):
        return None
    return session.scalars(select(Guide).where(Guide.share_code == share_code)).first()


def get_guide(session: Session, guide_id: int | None) -> Guide | None:
    return session.get(Guide, guide_id) if guide_id else None


def guides_of(session: Session, boutique_id: int) -> list[Guide]:
    return list(
        session.scalars(select(Guide).where(Guide.boutique_id == boutique_id).order_by(Guide.id))
    )


def attribute(session: Session, *, customer_id: int, guide: Guide, now: dt.datetime) -> None:
    """Credit ``guide`` with the customer's later orders (flushed)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"no customer {customer_id}")
    if customer.guide_id != guide.id:
        customer.guide_id = guide.id
        customer.guide_attributed_at = now
        session.flush()


def guide_of(session: Session, customer_id: int) -> Guide | None:
    customer = session.get(Customer, customer_id)
    return get_guide(session, customer.guide_id) if customer is not None else None
