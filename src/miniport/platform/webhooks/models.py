"""The webhook outbox: events written with the change that caused them, and their deliveries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.platform.db import PlatformBase


class WebhookEvent(PlatformBase):
    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "evt_…", receivers dedupe on it
    type: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class WebhookDelivery(PlatformBase):
    """One event to one partner endpoint, retried with backoff until delivered or given up."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    partner_kind: Mapped[str] = mapped_column(String(8))  # host | brand
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), index=True)  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set while a worker holds the row, so two workers never send the same attempt.
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
