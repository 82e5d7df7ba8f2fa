"""Brand entities, their mini programs, and host apps (the partner apps)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.platform.db import PlatformBase


class Brand(PlatformBase):
    """A brand entity; every mini program it owns shares one unionid per user."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    # Standard Webhooks signing key ("whsec_…"). HMAC needs the key itself, so unlike the
    # credentials the partner presents to us, it cannot be stored as a digest: it is stored
    # sealed by the at-rest cipher, bound to this row (miniport.platform.atrest.columns).
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MiniProgram(PlatformBase):
    __tablename__ = "mini_programs"

    appid: Mapped[str] = mapped_column(String(18), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    icon_url: Mapped[str] = mapped_column(String(2048), default="")
    entry_url: Mapped[str] = mapped_column(String(2048))
    allowed_paths: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret_digest: Mapped[str] = mapped_column(String(64))
    secret_rotated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class HostApp(PlatformBase):
    """A partner app: an OAuth client that asks to run mini programs for its users."""

    __tablename__ = "host_apps"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    logo_url: Mapped[str] = mapped_column(String(2048), default="")
    secret_digest: Mapped[str] = mapped_column(String(64))
    secret_rotated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    webhook_url: Mapped[str | None] = mapped_column(String(2048))
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(8), default="RS256")
    webhook_secret: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
