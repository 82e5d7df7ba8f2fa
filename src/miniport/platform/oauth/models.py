"""Authorization codes and issued tokens, stored only as SHA-256 digests of their values."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.platform.db import PlatformBase


class AuthorizationCode(PlatformBase):
    __tablename__ = "authorization_codes"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Every token minted from this code carries the same family, so a replay can kill them all.
    family: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("host_apps.client_id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(Text)
    authorization_details: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    nonce: Mapped[str | None] = mapped_column(Text)
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class IssuedToken(PlatformBase):
    """An access token (run ticket) or refresh token."""

    __tablename__ = "issued_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "access" | "refresh"
    family: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("host_apps.client_id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    authorization_details: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    auth_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # A refresh token is "used" once rotated; presenting it again means it leaked.
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)


class IssuedTokenApp(PlatformBase):
    """Which mini programs a run ticket covers, indexed so a port close finds them quickly."""

    __tablename__ = "issued_token_apps"

    digest: Mapped[str] = mapped_column(
        ForeignKey("issued_tokens.digest", ondelete="CASCADE"), primary_key=True
    )
    appid: Mapped[str] = mapped_column(String(18), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    family: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_issued_token_apps_client_appid", "client_id", "appid"),)
