"""The world the benchmarks run against, made through the platform's own domain functions.

One brand with ``MINI_PROGRAMS`` mini programs, a host app whose secret the harness knows,
an open port from that host to every mini program, and a user. Tokens are obtained later
over HTTP from the running server, exactly as a partner would.
"""

from __future__ import annotations

from dataclasses import dataclass

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker, unit_of_work
from miniport.common.migrate import upgrade
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.accounts.users import create_user
from miniport.platform.ports.lifecycle import Reason, apply_for_port, approve
from miniport.platform.ports.states import Actor, ActorKind, PortState, ReasonCategory
from miniport.platform.registry.admin import create_brand, create_host_app, create_mini_program
from miniport.platform.settings import PlatformSettings

MINI_PROGRAMS = 20
REDIRECT_URI = "http://127.0.0.1:9/auth/callback"
USER_PASSWORD = "bench password 2026"  # noqa: S105  (a throw-away account in a temp database)
OPERATOR = Actor(ActorKind.OPERATOR, "bench")


@dataclass(frozen=True)
class Seeded:
    client_id: str
    client_secret: str
    appids: tuple[str, ...]
    app_secrets: tuple[str, ...]
    user_id: int
    username: str


def seed(settings: PlatformSettings) -> Seeded:
    """Migrate an empty database and register the benchmark world in one transaction."""
    upgrade("platform", settings.database_url)
    engine = make_engine(settings.database_url)
    # The benchmark measures the token endpoint, not argon2: the one user is made cheaply.
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            brand = create_brand(
                session, slug="gucci", name_zh="古驰", name_en="Gucci", actor=Actor.system()
            )
            appids: list[str] = []
            secrets: list[str] = []
            for number in range(MINI_PROGRAMS):
                mini_program, secret = create_mini_program(
                    session,
                    brand_id=brand.id,
                    name_zh=f"古驰小程序{number}",
                    name_en=f"Gucci mini program {number}",
                    entry_url=f"http://127.0.0.1:9/mp/{number}",
                    allowed_paths=["/pages/index", "/pages/product"],
                    actor=Actor.system(),
                )
                appids.append(mini_program.appid)
                secrets.append(secret)
            host, host_secret = create_host_app(
                session,
                slug="xiaohongshu",
                name_zh="小红书",
                name_en="Xiaohongshu",
                redirect_uris=[REDIRECT_URI],
                actor=Actor.system(),
            )
            now = utcnow()
            for appid in appids:
                port = apply_for_port(
                    session,
                    client_id=host.client_id,
                    appid=appid,
                    reason_text="benchmark",
                    actor=OPERATOR,
                    now=now,
                )
                if port.state != PortState.OPEN:
                    approve(
                        session,
                        port.id,
                        actor=OPERATOR,
                        reason=Reason(ReasonCategory.POLICY, "benchmark"),
                        now=now,
                    )
            user = create_user(
                session, hasher, username="lin", display_name="林", password=USER_PASSWORD
            )
            return Seeded(
                client_id=host.client_id,
                client_secret=host_secret,
                appids=tuple(appids),
                app_secrets=tuple(secrets),
                user_id=user.id,
                username=user.username,
            )
    finally:
        engine.dispose()
