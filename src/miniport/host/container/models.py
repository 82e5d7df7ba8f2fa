"""Server-side state of opening a mini program: started authorizations and run tickets.

Nothing here ever reaches the browser. Secrets (PKCE verifiers, nonces, tokens) are stored
encrypted (``container.sealing``), so a copy of the database alone runs nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.host.db import HostBase


class PendingAuthorization(HostBase):
    """A trip to the platform's authorize endpoint, waiting for the browser to come back.

    Keyed by the SHA-256 digest of ``state``; deleted when the callback uses it, so a state
    (and with it the PKCE verifier) can finish at most one authorization.
    """

    __tablename__ = "pending_authorizations"

    state_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    appid: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512))
    query: Mapped[str] = mapped_column(String(1024), default="")
    return_to: Mapped[str] = mapped_column(String(2048))
    sealed_nonce: Mapped[str] = mapped_column(Text)
    sealed_verifier: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class RunTicket(HostBase):
    """A user's run ticket for one mini program, reused by later taps while it lives."""

    __tablename__ = "run_tickets"
    __table_args__ = (UniqueConstraint("user_id", "appid", name="uq_run_tickets_user_appid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    appid: Mapped[str] = mapped_column(String(64))
    sealed_access_token: Mapped[str] = mapped_column(Text)
    sealed_refresh_token: Mapped[str | None] = mapped_column(Text, default=None)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
