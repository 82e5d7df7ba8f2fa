"""Notes people and brands share: a generated cover, a title, text and their counters."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.host.db import HostBase


class Note(HostBase):
    __tablename__ = "notes"
    __table_args__ = (
        # A note is written by a person or by a brand's account, never both or neither.
        CheckConstraint(
            "(author_user_id IS NULL) <> (author_account_id IS NULL)", name="one_author"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    author_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("brand_accounts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # What the generated cover shows: a short caption on one of the cover palettes.
    cover_caption: Mapped[str] = mapped_column(String(40))
    cover_palette: Mapped[int] = mapped_column(Integer, default=0)
    cover_shape: Mapped[str] = mapped_column(String(16), default="bag")
    likes: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
