"""Opaque access tokens (run tickets) and refresh tokens: issue, look up, revoke.

Tokens are 256-bit random values stored only as SHA-256 digests, so a database leak yields
nothing usable. Look-ups go through a short-lived in-memory cache: revocations made in this
process clear it at once, and the change bus clears it in other workers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, bindparam, or_, select, update
from sqlalchemy.orm import Session

from miniport.common.prepared import Prepared
from miniport.common.tokens import digest, new_secret
from miniport.common.ttl_cache import TtlCache
from miniport.platform.db import PlatformBase
from miniport.platform.oauth.models import IssuedToken, IssuedTokenApp

ACCESS_TOKEN_LIFETIME = dt.timedelta(hours=2)
REFRESH_TOKEN_LIFETIME = dt.timedelta(days=30)
ACCESS = "access"
REFRESH = "refresh"


def _table(model: type[PlatformBase]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_TOKENS = _table(IssuedToken)
_TOKEN_APPS = _table(IssuedTokenApp)
_INSERT_TOKEN = Prepared.insert(
    _TOKENS,
    (
        "digest",
        "kind",
        "family",
        "client_id",
        "user_id",
        "scope",
        "authorization_details",
        "auth_time",
        "created_at",
        "expires_at",
    ),
)
_INSERT_TOKEN_APP = Prepared.insert(_TOKEN_APPS, ("digest", "appid", "client_id", "family"))


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What the platform knows about a live token, detached from any session."""

    digest: str
    kind: str
    family: str
    client_id: str
    user_id: int | None
    scope: str
    authorization_details: tuple[dict[str, str], ...]
    auth_time: dt.datetime | None
    created_at: dt.datetime
    expires_at: dt.datetime
    # The mini programs the token may run, from ``authorization_details``: kept as a set
    # because every launch asks whether its appid is among them.
    appids: frozenset[str] = frozenset()

    def is_live(self, now: dt.datetime) -> bool:
        return now < self.expires_at


_INFO_COLUMNS = (
    _TOKENS.c.digest,
    _TOKENS.c.kind,
    _TOKENS.c.family,
    _TOKENS.c.client_id,
    _TOKENS.c.user_id,
    _TOKENS.c.scope,
    _TOKENS.c.authorization_details,
    _TOKENS.c.auth_time,
    _TOKENS.c.created_at,
    _TOKENS.c.expires_at,
)
# A cache miss on a hot path (launch, check) reads the token with this, on the driver's
# cursor (``common.prepared``).
_LIVE = Prepared(
    select(*_INFO_COLUMNS).where(
        _TOKENS.c.digest == bindparam("digest"),
        _TOKENS.c.revoked_at.is_(None),
        _TOKENS.c.expires_at > bindparam("now"),
        or_(_TOKENS.c.kind == ACCESS, _TOKENS.c.used_at.is_(None)),
    )
)


def _info(
    token_digest: str,
    kind: str,
    family: str,
    client_id: str,
    user_id: int | None,
    scope: str,
    authorization_details: Sequence[dict[str, str]] | None,
    auth_time: dt.datetime | None,
    created_at: dt.datetime,
    expires_at: dt.datetime,
) -> TokenInfo:
    details = tuple(authorization_details or ())
    return TokenInfo(
        digest=token_digest,
        kind=kind,
        family=family,
        client_id=client_id,
        user_id=user_id,
        scope=scope,
        authorization_details=details,
        auth_time=auth_time,
        created_at=created_at,
        expires_at=expires_at,
        appids=frozenset(item["appid"] for item in details if "appid" in item),
    )


def issue(
    session: Session,
    *,
    kind: str,
    family: str,
    client_id: str,
    user_id: int | None,
    scope: str,
    authorization_details: Sequence[dict[str, str]],
    auth_time: dt.datetime | None,
    now: dt.datetime,
) -> str:
    value = new_secret()
    token_digest = digest(value)
    lifetime = ACCESS_TOKEN_LIFETIME if kind == ACCESS else REFRESH_TOKEN_LIFETIME
    # Not ORM objects, nor even Core's execute: every token request writes these rows, and
    # the unit of work's bookkeeping, then SQLAlchemy's execution of the statement, each
    # cost several times the insert itself (see benchmarks/RESULTS.md).
    connection = session.connection()
    _INSERT_TOKEN.many(
        connection,
        [
            {
                "digest": token_digest,
                "kind": kind,
                "family": family,
                "client_id": client_id,
                "user_id": user_id,
                "scope": scope,
                "authorization_details": list(authorization_details),
                "auth_time": auth_time,
                "created_at": now,
                "expires_at": now + lifetime,
            }
        ],
    )
    appids = sorted({item["appid"] for item in authorization_details})
    _INSERT_TOKEN_APP.many(
        connection,
        [
            {"digest": token_digest, "appid": appid, "client_id": client_id, "family": family}
            for appid in appids
        ],
    )
    return value


def find_row(session: Session, value: str) -> IssuedToken | None:
    return session.get(IssuedToken, digest(value))


def claim_refresh(session: Session, row: IssuedToken, now: dt.datetime) -> bool:
    """Mark a refresh token used; False when another request already did (a replay)."""
    result = session.execute(
        update(IssuedToken)
        .where(IssuedToken.digest == row.digest, IssuedToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def revoke_family(session: Session, family: str, now: dt.datetime) -> int:
    result = session.execute(
        update(IssuedToken)
        .where(IssuedToken.family == family, IssuedToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def revoke_one(session: Session, token_digest: str, now: dt.datetime) -> int:
    result = session.execute(
        update(IssuedToken)
        .where(IssuedToken.digest == token_digest, IssuedToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


def load_live(connection: Connection, token_digest: str, now: dt.datetime) -> TokenInfo | None:
    row = _LIVE.first(connection, {"digest": token_digest, "now": now})
    return _info(*row) if row is not None else None


class TokenCache(TtlCache[TokenInfo]):
    """Live-token look-ups by digest, kept 3.75–5 s; cleared whole on any revocation.

    Clearing everything is deliberate: revocations are rare next to look-ups, and a cleared
    cache can never serve a revoked token, whatever the revocation touched. The time to live
    is spread over its last quarter: tokens first seen together (a burst of users after a
    deploy, a cleared cache) must not all lapse, and all be read again, in the same instant.
    A revocation while a look-up reads the database makes ``put`` drop what it read.
    """

    def __init__(self, *, ttl: float = 5.0, max_entries: int = 100_000) -> None:
        super().__init__(ttl=ttl, max_entries=max_entries, jitter=0.25)


def lookup(cache: TokenCache, reader: Engine, value: str, now: dt.datetime) -> TokenInfo | None:
    """A live token by value, from the cache or else the database (through ``reader``, a
    read-only engine).

    A miss is one indexed read on a pooled connection, without an ORM session or a
    transaction of its own (about a tenth of what a session costs here), so hot paths run
    it where they are rather than hopping to a thread.
    """
    token_digest = digest(value)
    info = cache.get(token_digest)
    if info is not None:
        return info if info.is_live(now) else None
    generation = cache.generation()
    with reader.connect() as connection:
        info = load_live(connection, token_digest, now)
    if info is not None:
        cache.put(info.digest, info, generation=generation)
    return info
