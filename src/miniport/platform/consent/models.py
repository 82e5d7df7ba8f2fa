"""Remembered run consents: one grant per (user, host app), listing the mini programs run."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.platform.db import PlatformBase


class ConsentGrant(PlatformBase):
    __tablename__ = "consent_grants"
    __table_args__ = (UniqueConstraint("user_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("host_apps.client_id", ondelete="CASCADE"))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ConsentGrantApp(PlatformBase):
    """A mini program run under a grant, with when it was first and last authorized."""

    __tablename__ = "consent_grant_apps"
    __table_args__ = (UniqueConstraint("grant_id", "appid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("consent_grants.id", ondelete="CASCADE"))
    appid: Mapped[str] = mapped_column(ForeignKey("mini_programs.appid", ondelete="CASCADE"))
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
