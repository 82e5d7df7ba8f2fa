"""What a command needs from the platform: its settings, and a database at the current schema.

Settings come from the environment (``MINIPORT_PLATFORM_*``), exactly as the server reads
them, so a command always works on the database the server uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from miniport.common.db import make_engine, make_sessionmaker, on_commit_changes
from miniport.common.migrate import ensure_current
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.atrest.cipher import DataCipher
from miniport.platform.atrest.columns import verify_readable
from miniport.platform.bus.factory import make_bus
from miniport.platform.settings import PlatformSettings


@dataclass(frozen=True)
class PlatformDatabase:
    settings: PlatformSettings
    sessions: sessionmaker[Session]

    def password_hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.settings.argon2_time_cost,
            memory_cost=self.settings.argon2_memory_cost,
            parallelism=self.settings.argon2_parallelism,
        )

    def data_cipher(self, session: Session) -> DataCipher:
        """The at-rest cipher, once every sealed value was seen to open with it.

        Checked in the caller's ``session``: a command that seals with a wrong key would
        leave values the server then refuses to start with.
        """
        cipher = self.settings.data_cipher()
        verify_readable(session, cipher)
        return cipher


@contextmanager
def platform_database() -> Iterator[PlatformDatabase]:
    """The platform database from the environment; raises ``SchemaOutOfDate`` when behind."""
    settings = PlatformSettings()
    engine = make_engine(settings.database_url)
    try:
        ensure_current("platform", engine)
        yield PlatformDatabase(settings=settings, sessions=make_sessionmaker(engine))
    finally:
        engine.dispose()


@contextmanager
def announcing(db: PlatformDatabase) -> Iterator[PlatformDatabase]:
    """``db`` with its committed changes announced on the change bus, so running servers
    reload at once instead of at their next refresh."""
    bus = make_bus(db.settings)
    on_commit_changes(db.sessions, bus.publish)
    try:
        yield db
    finally:
        bus.stop()
