"""The audit log table: one row per governance decision, chained by hash."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.db import UTCDateTime
from miniport.platform.db import PlatformBase


class AuditEntry(PlatformBase):
    """An append-only entry; ``hash`` covers every other column and the previous ``hash``.

    ``seq`` is assigned by ``chain.append`` (previous + 1), never by the database, so a
    deleted row leaves a visible gap instead of being papered over by autoincrement.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_target", "target_kind", "target_id"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_kind: Mapped[str] = mapped_column(String(16))  # host | brand | operator | system | user
    actor_id: Mapped[str] = mapped_column(String(64), index=True)
    # The signed-in person acting for ``actor_id`` (a brand's staff member), when known.
    actor_user: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48), index=True)
    target_kind: Mapped[str] = mapped_column(String(24))
    target_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason_category: Mapped[str] = mapped_column(String(32), default="")
    reason_text: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(PlatformBase):
    """How far the log has been verified: entry ``seq`` had ``hash`` when last checked.

    Lets the console verify only the entries appended since (``audit.checkpoint``). One row
    per reader (``name``); it is a convenience, not evidence: anyone able to rewrite the log
    can rewrite this row too, so only a full verification vouches for the older entries.
    """

    __tablename__ = "audit_checkpoints"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # When a walk from the first entry last passed (None: not since the checkpoint was set).
    full_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
