"""Brands' enterprise accounts, and the mini program a brand may link from its card."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.host.db import HostBase


class BrandAccount(HostBase):
    __tablename__ = "brand_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    bio_zh: Mapped[str] = mapped_column(Text, default="")
    bio_en: Mapped[str] = mapped_column(Text, default="")
    # Other names people type for the brand (古驰, GUCCI, LV …); part of its search text.
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    followers: Mapped[int] = mapped_column(Integer, default=0)
    verified: Mapped[bool] = mapped_column(Boolean, default=True)
    color: Mapped[str] = mapped_column(String(7), default="#222222")
    monogram: Mapped[str] = mapped_column(String(8), default="")
    # The linked mini program: a platform URL link, or an appid with ``mp_path``. Whether the
    # card shows it is the platform's call (port check), never decided here.
    mp_item: Mapped[str | None] = mapped_column(String(2048), default=None)
    mp_path: Mapped[str | None] = mapped_column(String(512), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
