"""Everything a running platform worker holds: settings, database, keys, derivers.

Built once per app by ``create_app``; domain code receives the parts it needs as arguments,
and never reaches for a global.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.checkpoints import WalCheckpointer
from miniport.common.db import make_engine, make_sessionmaker, on_commit_changes, read_only_engine
from miniport.common.migrate import ensure_current
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.atrest.cipher import AtRestKeyError, DataCipher
from miniport.platform.atrest.columns import verify_readable
from miniport.platform.bus import ChangeBus
from miniport.platform.bus.factory import make_bus
from miniport.platform.identifiers import IdentifierDeriver
from miniport.platform.keys.keyring import Keyring
from miniport.platform.miniprogram_api.credentials import AccessTokenDirectory
from miniport.platform.miniprogram_api.directory import MiniProgramDirectory
from miniport.platform.miniprogram_api.ratelimit import ExchangeRateLimiter
from miniport.platform.oauth.token_store import TokenCache
from miniport.platform.ports.snapshot import PortDirectory
from miniport.platform.registry.directory import HostAppDirectory
from miniport.platform.settings import PlatformSettings


@dataclass
class PlatformRuntime:
    settings: PlatformSettings
    engine: Engine
    sessions: sessionmaker[Session]
    # Reads that never take SQLite's write lock: the engine, and sessions over it.
    read_engine: Engine
    read_sessions: sessionmaker[Session]
    identifiers: IdentifierDeriver
    # Opens signing keys (when the keyring loads) and webhook secrets (when a delivery is
    # signed); never on a request.
    cipher: DataCipher
    keyring: Keyring
    passwords: PasswordHasher
    cookie_key: bytes
    tokens: TokenCache
    bus: ChangeBus
    ports: PortDirectory
    mp_tokens: AccessTokenDirectory
    mp_directory: MiniProgramDirectory
    mp_exchange_limiter: ExchangeRateLimiter
    host_apps: HostAppDirectory
    # Started by the app's lifespan: only a serving worker needs checkpoints off its loop.
    checkpoints: WalCheckpointer

    @property
    def issuer(self) -> str:
        return self.settings.base_url

    @classmethod
    def build(cls, settings: PlatformSettings) -> PlatformRuntime:
        engine = make_engine(settings.database_url)
        if settings.check_schema_on_start:
            ensure_current("platform", engine)
        sessions = make_sessionmaker(engine)
        read_engine = read_only_engine(engine)
        read_sessions = make_sessionmaker(read_engine)
        cipher = settings.data_cipher()
        # A wrong or missing at-rest key refuses the start, rather than failing later in
        # every token request or webhook delivery.
        try:
            with read_sessions() as session:
                verify_readable(session, cipher)
        except AtRestKeyError:
            engine.dispose()  # no connection left for the garbage collector to close
            raise
        bus = make_bus(settings)
        runtime = cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            read_engine=read_engine,
            read_sessions=read_sessions,
            identifiers=IdentifierDeriver(settings.identifier_key()),
            cipher=cipher,
            keyring=Keyring(
                sessions,
                read_sessions,
                cipher=cipher,
                refresh_seconds=settings.keys_refresh_seconds,
            ),
            passwords=PasswordHasher(
                time_cost=settings.argon2_time_cost,
                memory_cost=settings.argon2_memory_cost,
                parallelism=settings.argon2_parallelism,
            ),
            cookie_key=settings.cookie_key(),
            tokens=TokenCache(),
            bus=bus,
            # Every read-through view reads without the write lock: they are consulted inside
            # write transactions (group commit), where a second write transaction on the
            # same thread would deadlock on SQLite (common.db.NestedWriteTransaction).
            ports=PortDirectory(read_sessions),
            mp_tokens=AccessTokenDirectory(read_sessions),
            mp_directory=MiniProgramDirectory(read_sessions, ttl=settings.registry_cache_seconds),
            mp_exchange_limiter=ExchangeRateLimiter(),
            host_apps=HostAppDirectory(read_sessions, ttl=settings.registry_cache_seconds),
            checkpoints=WalCheckpointer(engine),
        )
        on_commit_changes(sessions, bus.publish)
        bus.subscribe(runtime.on_change)
        bus.start()
        return runtime

    def on_change(self, topic: str) -> None:
        """Reload what ``topic`` says changed (called by the bus, from any worker)."""
        if topic == "ports":
            self.ports.catch_up()
        elif topic == "tokens":
            self.tokens.clear()
            self.mp_tokens.clear()
        elif topic == "keys":
            self.keyring.reload()
        elif topic == "registry":
            self.mp_directory.clear()
            self.host_apps.clear()

    def close(self) -> None:
        self.bus.stop()
        self.engine.dispose()
