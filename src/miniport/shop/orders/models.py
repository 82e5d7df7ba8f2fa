"""Orders and their lines. Lines copy name and price: an order says what was bought then."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.shop.db import ShopBase


class Order(ShopBase):
    __tablename__ = "orders"
    __table_args__ = (
        # The idempotency key of the checkout form: a double click or a retried request
        # with the same key finds this order instead of making a second one.
        UniqueConstraint("customer_id", "idempotency_key"),
        CheckConstraint("total_cents >= 0", name="total_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    idempotency_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    item_count: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    fulfilment: Mapped[str] = mapped_column(String(16))
    boutique_id: Mapped[int | None] = mapped_column(ForeignKey("boutiques.id", ondelete="RESTRICT"))
    recipient_name: Mapped[str] = mapped_column(String(64), default="")
    recipient_phone: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    guide_id: Mapped[int | None] = mapped_column(ForeignKey("guides.id", ondelete="SET NULL"))
    entry_scene: Mapped[int | None] = mapped_column(Integer)
    entry_host: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The platform learns of a paid order through /wxa/report_order (``reporting``): when it
    # acknowledged the report, or why it refused it (not retried).
    platform_reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    platform_report_error: Mapped[str | None] = mapped_column(Text)


class OrderLine(ShopBase):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="positive_quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    sku: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    line_total_cents: Mapped[int] = mapped_column(Integer)
