"""Everything a running platform worker holds: settings, database, keys, derivers.

Built once per app by ``create_app``; domain code receives the parts it needs as arguments,
and never reaches for a global.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.db import make_engine, make_sessionmaker, read_only_engine
from miniport.common.migrate import ensure_current
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.identifiers import IdentifierDeriver
from miniport.platform.keys.keyring import Keyring
from miniport.platform.settings import PlatformSettings


@dataclass
class PlatformRuntime:
    settings: PlatformSettings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    identifiers: IdentifierDeriver
    keyring: Keyring
    passwords: PasswordHasher
    cookie_key: bytes

    @property
    def issuer(self) -> str:
        return self.settings.base_url

    @classmethod
    def build(cls, settings: PlatformSettings) -> PlatformRuntime:
        engine = make_engine(settings.database_url)
        if settings.check_schema_on_start:
            ensure_current("platform", engine)
        sessions = make_sessionmaker(engine)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            read_sessions=make_sessionmaker(read_only_engine(engine)),
            identifiers=IdentifierDeriver(settings.identifier_key()),
            keyring=Keyring(sessions),
            passwords=PasswordHasher(
                time_cost=settings.argon2_time_cost,
                memory_cost=settings.argon2_memory_cost,
                parallelism=settings.argon2_parallelism,
            ),
            cookie_key=settings.cookie_key(),
        )

    def close(self) -> None:
        self.engine.dispose()
