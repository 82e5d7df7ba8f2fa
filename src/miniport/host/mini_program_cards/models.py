"""Webhook events received from the platform: deduplication, and the check-cache epoch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.host.db import HostBase


class PlatformEvent(HostBase):
    """One delivered event, recorded once per ``webhook-id``.

    The unique id is what makes a redelivery (the platform sends at least once) or a replay a
    no-op. ``seq`` of the newest event that changes card state is the check cache's epoch:
    every worker compares it with the epoch its cache was filled under, so a close reaches
    every worker process, not only the one the webhook happened to hit.
    """

    __tablename__ = "platform_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    webhook_id: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    clears_cards: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
