"""Mini-program access tokens: ``/cgi-bin/token`` and ``/cgi-bin/stable_token``.

A token is ``HMAC(platform key, salt)``; only its digest and the salt are stored. That keeps
the database useless to a thief (the key lives outside it) while letting ``stable_token``
hand out the same token again, as mini-program developers expect.

- ``/cgi-bin/token`` always mints a new token; the previous one keeps working for five
  minutes so a fleet of servers can roll over without errors.
- ``/cgi-bin/stable_token`` returns the current token while it has at least five minutes
  left; ``force_refresh`` mints a new one, at most 20 times a day and 30 seconds apart.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.tokens import digest, keyed_digest, new_secret
from miniport.platform.miniprogram_api import params
from miniport.platform.miniprogram_api.directory import MiniProgramDirectory
from miniport.platform.miniprogram_api.errors import InvalidGrantType, QuotaReached
from miniport.platform.miniprogram_api.models import MiniProgramAccessToken
from miniport.platform.registry.cache import RegistryCache

ACCESS_TOKEN_LIFETIME = dt.timedelta(hours=2)
OVERLAP = dt.timedelta(minutes=5)
STABLE_MIN_REMAINING = dt.timedelta(minutes=5)
FORCE_REFRESH_PER_DAY = 20
FORCE_REFRESH_SPACING = dt.timedelta(seconds=30)


class ForceRefreshLimited(Exception):
    """``force_refresh`` asked for too often (daily limit or spacing)."""


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    access_token: str
    expires_in: int

    def as_dict(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "expires_in": self.expires_in}


def _value(key: bytes, salt: str) -> str:
    raw = keyed_digest(key, "mp-access-token", salt)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _mint(
    session: Session, key: bytes, *, appid: str, now: dt.datetime, force: bool
) -> IssuedAccessToken:
    session.execute(
        update(MiniProgramAccessToken)
        .where(
            MiniProgramAccessToken.appid == appid, MiniProgramAccessToken.superseded_at.is_(None)
        )
        .values(superseded_at=now)
        .execution_options(synchronize_session=False)
    )
    salt = new_secret(24)
    value = _value(key, salt)
    session.add(
        MiniProgramAccessToken(
            digest=digest(value),
            appid=appid,
            salt=salt,
            force_refresh=force,
            created_at=now,
            expires_at=now + ACCESS_TOKEN_LIFETIME,
        )
    )
    session.flush()
    return IssuedAccessToken(value, int(ACCESS_TOKEN_LIFETIME.total_seconds()))


def new_access_token(
    session: Session, key: bytes, *, appid: str, now: dt.datetime
) -> IssuedAccessToken:
    return _mint(session, key, appid=appid, now=now, force=False)


def stable_access_token(
    session: Session, key: bytes, *, appid: str, force_refresh: bool, now: dt.datetime
) -> IssuedAccessToken:
    if force_refresh:
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        forced = session.execute(
            select(func.count(), func.max(MiniProgramAccessToken.created_at)).where(
                MiniProgramAccessToken.appid == appid,
                MiniProgramAccessToken.force_refresh.is_(True),
                MiniProgramAccessToken.created_at >= day_start,
            )
        ).one()
        count, latest = int(forced[0]), forced[1]
        if count >= FORCE_REFRESH_PER_DAY:
            raise ForceRefreshLimited("force_refresh is limited to 20 times a day")
        if latest is not None and now - _aware(latest) < FORCE_REFRESH_SPACING:
            raise ForceRefreshLimited("force_refresh calls must be 30 seconds apart")
        return _mint(session, key, appid=appid, now=now, force=True)
    current = session.scalar(
        select(MiniProgramAccessToken)
        .where(
            MiniProgramAccessToken.appid == appid, MiniProgramAccessToken.superseded_at.is_(None)
        )
        .order_by(MiniProgramAccessToken.created_at.desc())
        .limit(1)
    )
    if current is not None and current.expires_at - now >= STABLE_MIN_REMAINING:
        remaining = int((current.expires_at - now).total_seconds())
        return IssuedAccessToken(_value(key, current.salt), remaining)
    return _mint(session, key, appid=appid, now=now, force=False)


def _aware(value: dt.datetime) -> dt.datetime:
    # Aggregates bypass the column type, so SQLite hands back a naive (UTC) value.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class AccessTokenDirectory:
    """Which mini program an access token belongs to, cached briefly per token digest.

    The bus topic ``tokens`` clears it; entries also expire after ``ttl`` seconds.
    """

    def __init__(self, factory: sessionmaker[Session], *, ttl: float = 5.0) -> None:
        self._cache = RegistryCache(
            factory, _load_token, ttl=ttl, max_entries=100_000, max_key_length=64
        )

    def clear(self) -> None:
        self._cache.clear()

    def appid_for(self, token: str, now: dt.datetime) -> str | None:
        """The appid of a live token (including one superseded less than 5 minutes ago)."""
        found = self._cache.get(digest(token))
        if found is None:
            return None
        appid, valid_until = found
        return appid if now < valid_until else None


def _load_token(session: Session, token_digest: str) -> tuple[str, dt.datetime] | None:
    row = session.get(MiniProgramAccessToken, token_digest)
    if row is None:
        return None
    valid_until = row.expires_at
    if row.superseded_at is not None:
        valid_until = min(valid_until, row.superseded_at + OVERLAP)
    return row.appid, valid_until


# --- the two endpoints, with their errcode refusals ---------------------------------------

CLIENT_CREDENTIAL = "client_credential"


def client_credential_token(
    session: Session,
    directory: MiniProgramDirectory,
    key: bytes,
    *,
    grant_type: str | None,
    appid: str | None,
    secret: str | None,
    now: dt.datetime,
) -> IssuedAccessToken:
    """``GET /cgi-bin/token``: 40002 wrong grant_type, 40013 unknown appid, 40125 wrong secret."""
    if grant_type != CLIENT_CREDENTIAL:
        raise InvalidGrantType(f"invalid grant_type, expected {CLIENT_CREDENTIAL}")
    entry = directory.authenticate(appid, secret)
    return new_access_token(session, key, appid=entry.appid, now=now)


def stable_token(
    session: Session,
    directory: MiniProgramDirectory,
    key: bytes,
    *,
    body: dict[str, Any],
    now: dt.datetime,
) -> IssuedAccessToken:
    """``POST /cgi-bin/stable_token``; as ``/cgi-bin/token``, plus 45009 when
    ``force_refresh`` is asked for too often."""
    grant_type = params.text(body, "grant_type", max_length=64)
    appid = params.text(body, "appid", max_length=64)
    secret = params.text(body, "secret", max_length=256)
    force_refresh = params.boolean(body, "force_refresh", default=False)
    if grant_type != CLIENT_CREDENTIAL:
        raise InvalidGrantType(f"invalid grant_type, expected {CLIENT_CREDENTIAL}")
    entry = directory.authenticate(appid, secret)
    try:
        return stable_access_token(
            session, key, appid=entry.appid, force_refresh=force_refresh, now=now
        )
    except ForceRefreshLimited as exc:
        raise QuotaReached(f"reach max api daily quota limit: {exc}") from exc
