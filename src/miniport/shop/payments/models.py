"""Payments. Simulated here: a real store would record the payment provider's transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.db import UTCDateTime
from miniport.shop.db import ShopBase


class Payment(ShopBase):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: an order is paid at most once, however often "Pay" is pressed.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
