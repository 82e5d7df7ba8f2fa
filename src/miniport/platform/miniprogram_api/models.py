"""Launch codes, mini-program access tokens and URL links (the mini-program API's state)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.platform.db import PlatformBase


class LaunchCode(PlatformBase):
    """A single-use code handed to the mini program's entry URL (its ``js_code``)."""

    __tablename__ = "launch_codes"

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
