"""Everything a running host worker holds: settings, database, keys, the platform client.

Built once per app by ``create_app``; domain code receives the parts it needs as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.db import make_engine, make_sessionmaker, read_only_engine
from miniport.common.migrate import ensure_current
from miniport.common.signin_throttle import SigninLimits, SigninThrottle
from miniport.host.accounts.models import SigninFailureWindow
from miniport.host.accounts.passwords import PasswordHasher
from miniport.host.container.sealing import Sealer
from miniport.host.mini_program_cards.cache import CheckCache
from miniport.host.mini_program_cards.cards import CardDirectory
from miniport.host.mini_program_cards.user_key import user_key
from miniport.host.platform_api import PlatformClient
from miniport.host.settings import HostSettings
from miniport.sdk import HostClient


@dataclass
class HostRuntime:
    settings: HostSettings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    passwords: PasswordHasher
    signin_throttle: SigninThrottle
    cookie_key: bytes
    user_key_secret: bytes
    sealer: Sealer
    platform: PlatformClient
    cards: CardDirectory

    @classmethod
    def build(
        cls, settings: HostSettings, *, platform: PlatformClient | None = None
    ) -> HostRuntime:
        engine = make_engine(settings.database_url)
        if settings.check_schema_on_start:
            ensure_current("host", engine)
        client: PlatformClient = platform or HostClient(
            settings.platform_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            read_sessions=make_sessionmaker(read_only_engine(engine)),
            passwords=PasswordHasher(
                time_cost=settings.argon2_time_cost,
                memory_cost=settings.argon2_memory_cost,
                parallelism=settings.argon2_parallelism,
            ),
            signin_throttle=SigninThrottle(SigninFailureWindow, SigninLimits.of(settings)),
            cookie_key=settings.cookie_key(),
            user_key_secret=settings.user_key_key(),
            sealer=Sealer(settings.token_key()),
            platform=client,
            cards=CardDirectory(client, CheckCache(ttl=settings.check_cache_seconds)),
        )

    def user_key(self, user_id: int) -> str:
        return user_key(self.user_key_secret, user_id)

    def close(self) -> None:
        self.platform.close()
        self.engine.dispose()
