"""Ports (one host app × one mini program), their transition history and launch counters."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.platform.db import PlatformBase


class Port(PlatformBase):
    __tablename__ = "ports"
    __table_args__ = (UniqueConstraint("client_id", "appid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(
        ForeignKey("host_apps.client_id", ondelete="CASCADE"), index=True
    )
    appid: Mapped[str] = mapped_column(
        ForeignKey("mini_programs.appid", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), index=True)
    request_reason: Mapped[str] = mapped_column(Text, default="")
    # Staging of an open port.
    rollout_percent: Mapped[int] = mapped_column(Integer, default=100)
    allow_list: Mapped[list[str]] = mapped_column(JSON, default=list)
    trial_ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    daily_launch_quota: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every change; optimistic concurrency for edits made from stale pages.
    version: Mapped[int] = mapped_column(Integer, default=1)


class PortTransition(PlatformBase):
    """Every state change and staging edit: who, when, why."""

    __tablename__ = "port_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    port_id: Mapped[int] = mapped_column(ForeignKey("ports.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))  # host | brand | operator | system
    actor_id: Mapped[str] = mapped_column(String(64))
    reason_category: Mapped[str] = mapped_column(String(32))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PortChange(PlatformBase):
    """The port change journal: one row per changed port (or, with no ``appid``, per host
    whose ports all changed), numbered in commit order. Workers re-read only the ports named
    after the last row they applied (``ports.journal``)."""

    __tablename__ = "port_changes"
    # AUTOINCREMENT on SQLite: a number is never handed out twice, even after pruning.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012  (SQLAlchemy's form)

    seq: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    appid: Mapped[str | None] = mapped_column(String(18))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class HostSuspension(PlatformBase):
    """A suspended host app: all its ports refuse, whatever their own state."""

    __tablename__ = "host_suspensions"

    client_id: Mapped[str] = mapped_column(
        ForeignKey("host_apps.client_id", ondelete="CASCADE"), primary_key=True
    )
    reason_category: Mapped[str] = mapped_column(String(32))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MiniProgramPortPolicy(PlatformBase):
    """How a brand answers port requests for one mini program."""

    __tablename__ = "mini_program_port_policies"

    appid: Mapped[str] = mapped_column(
        ForeignKey("mini_programs.appid", ondelete="CASCADE"), primary_key=True
    )
    policy: Mapped[str] = mapped_column(String(16), default="review")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DailyCounter(PlatformBase):
    """Per-day counters for quotas (launches per port, URL links per mini program)."""

    __tablename__ = "daily_counters"

    key: Mapped[str] = mapped_column(String(96), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, UTC
    count: Mapped[int] = mapped_column(Integer, default=0)
