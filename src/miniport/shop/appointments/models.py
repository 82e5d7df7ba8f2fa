"""In-store appointments a customer books at a boutique."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.shop.db import ShopBase


class Appointment(ShopBase):
    __tablename__ = "appointments"
    # One booking per customer, boutique and time: a double-clicked "Book" makes one visit.
    __table_args__ = (UniqueConstraint("customer_id", "boutique_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    boutique_id: Mapped[int] = mapped_column(ForeignKey("boutiques.id", ondelete="RESTRICT"))
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id", ondelete="SET NULL"))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
