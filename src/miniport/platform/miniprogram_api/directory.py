"""Registered mini programs as the hot paths need them, held in memory.

``launch`` and ``jscode2session`` run on every mini-program start, so the few facts they need
about a mini program (its secret digest, entry URL, pages, brand) are cached per appid
instead of read per request. The bus topic ``registry`` clears the cache in every worker;
entries also expire after ``ttl`` seconds, which bounds staleness for registry changes made
by a process that does not announce them. Unknown appids are not cached, so a mini program
registered a moment ago is found at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.tokens import same_secret
from miniport.platform.miniprogram_api.errors import InvalidAppid, InvalidSecret
from miniport.platform.registry.cache import RegistryCache
from miniport.platform.registry.models import MiniProgram

MAX_APPID_LENGTH = 64
# Compared against when the appid is unknown, so both answers take the same work.
_NO_DIGEST = "0" * 64


@dataclass(frozen=True, slots=True)
class MiniProgramEntry:
    appid: str
    brand_id: int
    name_zh: str
    name_en: str
    entry_url: str
    allowed_paths: frozenset[str]
    home_path: str
    secret_digest: str


class MiniProgramDirectory:
    """appid → ``MiniProgramEntry``, read through to the database on a miss."""

    def __init__(
        self, factory: sessionmaker[Session], *, ttl: float = 10.0, max_entries: int = 50_000
    ) -> None:
        self._cache = RegistryCache(
            factory, _load, ttl=ttl, max_entries=max_entries, max_key_length=MAX_APPID_LENGTH
        )

    def clear(self) -> None:
        self._cache.clear()

    def get(self, appid: str) -> MiniProgramEntry | None:
        return self._cache.get(appid)

    def authenticate(self, appid: str | None, secret: str | None) -> MiniProgramEntry:
        """The mini program whose ``appid`` and ``secret`` these are; 40013 / 40125 otherwise.

        The digest comparison is constant-time, and runs even for an unknown appid.
        """
        entry = self.get(appid) if appid else None
        matches = same_secret(secret or "", entry.secret_digest if entry else _NO_DIGEST)
        if entry is None:
            raise InvalidAppid(f"invalid appid: {appid or 'missing'}")
        if not secret or not matches:
            raise InvalidSecret()
        return entry


def _load(session: Session, appid: str) -> MiniProgramEntry | None:
    table = MiniProgram.__table__.c
    row = session.execute(
        select(
            table.brand_id,
            table.name_zh,
            table.name_en,
            table.entry_url,
            table.allowed_paths,
            table.secret_digest,
        ).where(table.appid == appid)
    ).first()
    if row is None:
        return None
    paths = list(row.allowed_paths or ())
    return MiniProgramEntry(
        appid=appid,
        brand_id=row.brand_id,
        name_zh=row.name_zh,
        name_en=row.name_en,
        entry_url=row.entry_url,
        allowed_paths=frozenset(paths),
        home_path=paths[0] if paths else "/",
        secret_digest=row.secret_digest,
    )
