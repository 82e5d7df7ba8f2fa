"""Shopping guides (导购): boutique staff who share the store and are credited for orders."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from miniport.shop.db import ShopBase


class Guide(ShopBase):
    __tablename__ = "guides"

    id: Mapped[int] = mapped_column(primary_key=True)
    boutique_id: Mapped[int] = mapped_column(
        ForeignKey("boutiques.id", ondelete="RESTRICT"), index=True
    )
    name_zh: Mapped[str] = mapped_column(String(32))
    name_en: Mapped[str] = mapped_column(String(64))
    title_zh: Mapped[str] = mapped_column(String(32), default="")
    title_en: Mapped[str] = mapped_column(String(64), default="")
    # Printed in the guide's link /g/<share_code>; public, so it grants nothing but credit.
    share_code: Mapped[str] = mapped_column(String(32), unique=True)
