"""Categories and products. Prices are integer fen (CNY cents): money never meets a float."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from miniport.shop.db import ShopBase


class Category(ShopBase):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(ShopBase):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("price_cents > 0", name="positive_price"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    material_zh: Mapped[str] = mapped_column(String(128), default="")
    material_en: Mapped[str] = mapped_column(String(128), default="")
    price_cents: Mapped[int] = mapped_column(Integer)
    # How the generated picture draws it (see ``catalog.artwork``).
    art_shape: Mapped[str] = mapped_column(String(16))
    art_body: Mapped[str] = mapped_column(String(7))
    art_trim: Mapped[str] = mapped_column(String(7))
    art_pattern: Mapped[str] = mapped_column(String(16), default="plain")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
