"""Everything a running shop worker holds: settings, database, keys, the platform client.

Built once per app by ``create_app``; domain code receives the parts it needs as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.db import make_engine, make_sessionmaker, read_only_engine
from miniport.common.migrate import ensure_current
from miniport.sdk import MiniProgramClient
from miniport.shop.orders.reporting import OrderReporter
from miniport.shop.sessions.entry import CodeExchanger
from miniport.shop.settings import ShopSettings


class PlatformClient(CodeExchanger, OrderReporter, Protocol):
    """What the store needs of the platform: the code exchange and order reports."""


@dataclass
class ShopRuntime:
    settings: ShopSettings
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    cookie_key: bytes
    staff_password: str
    platform: PlatformClient

    @classmethod
    def build(
        cls, settings: ShopSettings, *, platform: PlatformClient | None = None
    ) -> ShopRuntime:
        engine = make_engine(settings.database_url)
        if settings.check_schema_on_start:
            ensure_current("shop", engine)
        client: PlatformClient = platform or MiniProgramClient(
            settings.platform_url,
            appid=settings.appid,
            secret=settings.app_secret.get_secret_value(),
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_sessionmaker(engine),
            read_sessions=make_sessionmaker(read_only_engine(engine)),
            cookie_key=settings.cookie_key(),
            staff_password=settings.staff_password_value(),
            platform=client,
        )

    def close(self) -> None:
        closer = getattr(self.platform, "close", None)
        if callable(closer):
            closer()
        self.engine.dispose()
