"""The brand's boutiques: where appointments happen and pick-up orders wait."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from miniport.shop.db import ShopBase


class Boutique(ShopBase):
    __tablename__ = "boutiques"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(128))
    city_zh: Mapped[str] = mapped_column(String(32))
    city_en: Mapped[str] = mapped_column(String(64))
    address_zh: Mapped[str] = mapped_column(String(256))
    address_en: Mapped[str] = mapped_column(String(256))
    # Local (China Standard Time) opening hours, "HH:MM".
    opens_at: Mapped[str] = mapped_column(String(5))
    closes_at: Mapped[str] = mapped_column(String(5))
    phone: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
