"""Customers: one per platform openid, linked across the brand by unionid."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.shop.db import ShopBase


class Customer(ShopBase):
    """A person as this mini program knows them.

    ``openid`` is the platform's id for the user in this mini program; ``unionid`` is the
    same across every mini program of the brand, so a customer met in another of the
    brand's stores can be recognised as the same person.
    """

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(128), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(128), index=True)
    # The shopping guide whose share link the customer opened last; their later orders
    # are attributed to that guide.
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id", ondelete="SET NULL"))
    guide_attributed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
