"""Shop sessions: a browser signed in by one launch code."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.shop.db import ShopBase


class ShopSession(ShopBase):
    """A browser's session, started by one launch code.

    The cookie holds a random value and only its digest is stored. ``entry_code_digest``
    remembers the launch code that started it, so reloading the entry URL in the same
    browser finds this session instead of spending the (single-use) code a second time.
    """

    __tablename__ = "shop_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    entry_code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    entry_scene: Mapped[int | None] = mapped_column(Integer)
    entry_host: Mapped[str | None] = mapped_column(String(64))
    entry_path: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
