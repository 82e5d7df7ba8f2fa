"""Signing keys, kept in the database so every worker signs with the same active key."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from miniport.common.clock import utcnow
from miniport.common.db import UTCDateTime
from miniport.platform.db import PlatformBase


class SigningKey(PlatformBase):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    # Sealed by the at-rest cipher, bound to the kid (miniport.platform.atrest.columns).
    private_jwk: Mapped[str] = mapped_column(Text)
    # "active" signs; "previous" only verifies (still in JWKS); "retired" is gone from JWKS.
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
