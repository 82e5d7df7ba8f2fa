"""The host app's own people, their signed-in browsers and their failed sign-ins."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.common.signin_throttle import SigninFailureColumns
from miniport.host.db import HostBase


class User(HostBase):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    bio: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BrowserSession(HostBase):
    """A signed-in browser. The cookie holds a random value; only its digest is stored."""

    __tablename__ = "browser_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SigninFailureWindow(SigninFailureColumns, HostBase):
    """Failed sign-ins counted per key (``account:<name>`` / ``address:<ip>``) per window.

    Kept in the database rather than in memory so the limit holds across worker processes.
    """

    __tablename__ = "signin_failure_windows"
