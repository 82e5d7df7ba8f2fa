"""Launch codes, mini-program access tokens, URL links and reported orders (the mini-program
API's state)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.platform.db import PlatformBase


class LaunchCode(PlatformBase):
    """A single-use code handed to the mini program's entry URL (its ``js_code``)."""

    __tablename__ = "launch_codes"
    # An order report names the user by openid; this finds the user's last launch of that
    # mini program, whose host the order is attributed to.
    __table_args__ = (Index("ix_launch_codes_appid_openid", "appid", "openid"),)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    appid: Mapped[str] = mapped_column(ForeignKey("mini_programs.appid", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(ForeignKey("host_apps.client_id", ondelete="CASCADE"))
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(Text)
    scene: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when the code is exchanged: the openid the mini program learned for this user.
    openid: Mapped[str | None] = mapped_column(String(64))


class MiniProgramAccessToken(PlatformBase):
    """``/cgi-bin/token``: a mini program's own credential for the server-side API."""

    __tablename__ = "mp_access_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    appid: Mapped[str] = mapped_column(
        ForeignKey("mini_programs.appid", ondelete="CASCADE"), index=True
    )
    # The token is HMAC(platform key, salt): not stored, yet recomputable for stable_token,
    # which must hand the same token out again while it has time left.
    salt: Mapped[str] = mapped_column(String(64))
    force_refresh: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # A newer token replaces this one; it keeps working five more minutes from then.
    superseded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class UrlLink(PlatformBase):
    """A link that opens a mini program page from outside (``/wxa/generate_urllink``)."""

    __tablename__ = "url_links"

    slug: Mapped[str] = mapped_column(String(32), primary_key=True)
    appid: Mapped[str] = mapped_column(
        ForeignKey("mini_programs.appid", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text, default="")
    env_version: Mapped[str] = mapped_column(String(16), default="release")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class OrderReport(PlatformBase):
    """An order a mini program reported (``/wxa/report_order``), attributed to a host app.

    The host is the one of the user's last launch of that mini program before the order was
    paid, found by the openid the exchange recorded; none when the user never came through a
    host (the mini program's own channels). One row per (appid, order_id): reports are
    idempotent.
    """

    __tablename__ = "order_reports"
    __table_args__ = (
        UniqueConstraint("appid", "order_id"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_order_reports_host_paid", "client_id", "appid", "paid_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appid: Mapped[str] = mapped_column(ForeignKey("mini_programs.appid", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(BigInteger)  # in the currency's minor unit (fen)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    client_id: Mapped[str | None] = mapped_column(
        ForeignKey("host_apps.client_id", ondelete="SET NULL")
    )
    port_id: Mapped[int | None] = mapped_column(ForeignKey("ports.id", ondelete="SET NULL"))
