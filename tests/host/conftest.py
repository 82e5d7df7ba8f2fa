"""Host-app fixtures: fresh host databases, a stand-in platform for unit tests, and a real
host server joined to a real platform server for the flows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.migrate import upgrade
from miniport.host.accounts.passwords import PasswordHasher
from miniport.host.seed import seed_instance
from miniport.host.settings import HostSettings, instance_defaults
from miniport.host.web.app import create_app
from miniport.platform.ports.states import Actor
from miniport.platform.registry import admin, partner_webhooks
from miniport.platform.runtime import PlatformRuntime
from miniport.sdk.errors import TransportError
from miniport.sdk.models import MiniProgramCard, PortCheck
from tests.factories import World, build_world
from tests.support.servers import free_port, serve_in_thread

HOST_PASSWORD = "host password 123"
GUCCI_APPID = "wx00000000000000aa"


def make_host_settings(data_dir: Path, **overrides: object) -> HostSettings:
    values: dict[str, object] = {
        **instance_defaults("xiaohongshu"),
        "environment": "test",
        "data_dir": data_dir,
        "argon2_time_cost": 1,
        "argon2_memory_cost": 1024,
        "argon2_parallelism": 1,
        "client_id": "hc-test",
        "client_secret": "s" * 43,
    }
    values.update(overrides)
    return HostSettings(**values)  # type: ignore[arg-type]


def cheap_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def host_settings(tmp_path: Path) -> HostSettings:
    settings = make_host_settings(tmp_path / "host")
    upgrade("host", settings.database_url)
    return settings


@pytest.fixture
def host_sessions(host_settings: HostSettings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(host_settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def seeded(host_sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The 小红书 demo content, Gucci's card linked to ``GUCCI_APPID``."""
    with host_sessions() as session, session.begin():
        seed_instance(
            session,
            cheap_hasher(),
            instance="xiaohongshu",
            password=HOST_PASSWORD,
            mp_links={"gucci": GUCCI_APPID},
        )
    return host_sessions


# --- a stand-in platform for what needs no real one ------------------------------------------


def open_result(item: str, appid: str | None = None) -> PortCheck:
    return PortCheck(
        item=item,
        appid=appid or item,
        open=True,
        reason="open",
        mini_program=MiniProgramCard(
            name_zh="GUCCI古驰线上旗舰店", name_en="GUCCI Online Flagship Store", icon_url=None
        ),
    )


def closed_result(item: str, reason: str = "port_closed") -> PortCheck:
    return PortCheck(item=item, appid=item, open=False, reason=reason)


@dataclass
class FakePlatform:
    """Answers ``check`` from ``answers`` (open unless told otherwise) and counts the calls."""

    closed: dict[str, str] = field(default_factory=dict)
    unreachable: bool = False
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def check(self, *, user_key: str, items: Sequence[str]) -> list[PortCheck]:
        self.calls.append((user_key, tuple(items)))
        if self.unreachable:
            raise TransportError("connection refused", attempts=3)
        return [
            closed_result(item, self.closed[item]) if item in self.closed else open_result(item)
            for item in items
        ]

    def close(self) -> None:
        return None


# --- a real host server beside a real platform server ----------------------------------------


@dataclass
class Joined:
    """The platform's test world, and a 小红书 host server registered with it."""

    world: World
    platform_url: str
    host_url: str
    settings: HostSettings
    runtime: PlatformRuntime


def join_host_to_platform(runtime: PlatformRuntime, world: World, host_url: str) -> str:
    """Register the host server's redirect URI and webhook URL; returns the webhook secret."""
    with runtime.sessions() as session, session.begin():
        host = admin.get_host_app(session, world.client_id)
        host.redirect_uris = [*host.redirect_uris, host_url + "/auth/callback"]
        secret = partner_webhooks.set_webhook_url(
            session,
            host,
            host_url + "/webhooks/platform",
            cipher=runtime.cipher,
            actor=Actor.system(),
        )
    assert secret is not None
    return secret


@pytest.fixture
def host_overrides() -> dict[str, object]:
    """Settings of the joined host that a module changes (overriding this fixture)."""
    return {}


@pytest.fixture
def joined(
    tmp_path: Path,
    runtime: PlatformRuntime,
    platform_url: str,
    host_overrides: dict[str, object],
) -> Iterator[Joined]:
    world = build_world(runtime)
    port = free_port()
    host_url = f"http://127.0.0.1:{port}"
    webhook_secret = join_host_to_platform(runtime, world, host_url)
    settings = make_host_settings(
        tmp_path / "host",
        base_url=host_url,
        platform_url=platform_url,
        client_id=world.client_id,
        client_secret=world.client_secret,
        webhook_secret=webhook_secret,
        **host_overrides,
    )
    upgrade("host", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            seed_instance(
                session,
                cheap_hasher(),
                instance="xiaohongshu",
                password=HOST_PASSWORD,
                mp_links={"gucci": world.appid},
                now=utcnow(),
            )
    finally:
        engine.dispose()
    with serve_in_thread(create_app(settings), port) as url:
        yield Joined(world, platform_url, url, settings, runtime)


WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" + "MfKQ9r8GKYo="


@dataclass
class StandAlone:
    """A host server whose platform is a ``FakePlatform`` (pages, forms, webhooks)."""

    url: str
    settings: HostSettings
    platform: FakePlatform


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[StandAlone]:
    port = free_port()
    settings = make_host_settings(
        tmp_path / "host", base_url=f"http://127.0.0.1:{port}", webhook_secret=WEBHOOK_SECRET
    )
    upgrade("host", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            seed_instance(
                session,
                cheap_hasher(),
                instance="xiaohongshu",
                password=HOST_PASSWORD,
                mp_links={"gucci": GUCCI_APPID},
            )
    finally:
        engine.dispose()
    platform = FakePlatform()
    # Only check() is ever called on the stand-in by these pages.
    app = create_app(settings, platform=platform)  # type: ignore[arg-type]
    with serve_in_thread(app, port) as url:
        yield StandAlone(url, settings, platform)
