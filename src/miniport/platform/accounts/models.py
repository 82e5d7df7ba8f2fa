"""Users, their browser sessions, staff roles and sign-in throttling counters."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.common.signin_throttle import SigninFailureColumns
from miniport.platform.db import PlatformBase


class User(PlatformBase):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BrowserSession(PlatformBase):
    """A signed-in browser. The cookie holds a random value; only its digest is stored."""

    __tablename__ = "browser_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class StaffRole(StrEnum):
    OPERATOR = "operator"
    BRAND = "brand"
    HOST = "host"


class StaffMembership(PlatformBase):
    """What a user may do in the consoles: operate the platform, or act for a brand or host."""

    __tablename__ = "staff_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    host_client_id: Mapped[str | None] = mapped_column(
        ForeignKey("host_apps.client_id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SigninFailureWindow(SigninFailureColumns, PlatformBase):
    """Failed sign-ins counted per key (``account:<name>`` / ``address:<ip>``) per window.

    Kept in the database rather than in memory so the limit holds across worker processes.
    """

    __tablename__ = "signin_failure_windows"
