"""The article's world, seeded into five fresh databases.

- platform 微信 / WeChat: an operator and a user; the brands Gucci and Louis Vuitton with
  their stores as mini programs (entry URL: the store's ``/mp/entry``, allowed paths: the
  store's pages); the host apps 小红书 and 京东 with their redirect URIs and webhook URLs;
  the ports 小红书 × Gucci and 京东 × Louis Vuitton, opened by the operator;
- host apps 小红书 and 京东: their people, notes and the six brands' enterprise accounts,
  Gucci's card (小红书) and Louis Vuitton's card (京东) linked to their mini programs;
- the two stores: catalogue, boutiques and shopping guides.

Names and branding come from the services' own instance definitions, URLs from the layout,
and the credentials each service needs from what the platform generated while seeding.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from miniport.common.db import make_engine, make_sessionmaker, unit_of_work
from miniport.common.migrate import upgrade
from miniport.demo.layout import DemoLayout
from miniport.demo.services import ServiceConfig, ServiceKind, tuning
from miniport.host import seed as host_seed
from miniport.host import settings as host_settings
from miniport.host.settings import HostSettings
from miniport.platform import demo as platform_demo
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.settings import PlatformSettings
from miniport.shop import seed as shop_seed
from miniport.shop import settings as shop_settings
from miniport.shop.sessions.entry import MINI_PROGRAM_PAGES
from miniport.shop.settings import ShopSettings

PLATFORM_USER = platform_demo.PersonSeed(
    username="lin",
    display_name="林小满",
    password="lin-demo-pass",  # noqa: S106  (demo-only, printed on screen)
)
OPERATOR = platform_demo.PersonSeed(
    username="operator",
    display_name="平台运营 Operator",
    password="operator-demo-pass",  # noqa: S106  (demo-only, printed on screen)
    operator=True,
)
# Every host-app user's password (both apps have a "lin", like the platform).
HOST_PASSWORD = "host-demo-pass"  # noqa: S105  (demo-only, printed on screen)
# The stores' staff pages (/staff), where the brand sees every order and its source.
STAFF_PASSWORD = "staff-demo-pass"  # noqa: S105  (demo-only, printed on screen)

HOSTS = ("xiaohongshu", "jd")
STORES = ("gucci", "louis-vuitton")
# The store each host's brand card links to, which is also the one port opened for it.
STORE_OF_HOST: dict[str, str] = dict(host_seed.LINKED_BRAND)
PORT_REASONS = {
    "xiaohongshu": "Trial: Gucci's flagship store from its enterprise-account card",
    "jd": "Louis Vuitton's store inside the shopping app",
}
CHEAP_ARGON2 = {"argon2_time_cost": 1, "argon2_memory_cost": 1024, "argon2_parallelism": 1}

# Seeding reports each step here: ``step("Seeding 小红书")`` wraps the work of that step.
StepFactory = Callable[[str], AbstractContextManager[object]]


def _no_progress(_description: str) -> AbstractContextManager[object]:
    return nullcontext()


def platform_world(layout: DemoLayout) -> platform_demo.PlatformWorld:
    """The platform's share of the world, with every URL pointing at the layout's ports."""
    brands = []
    for slug in STORES:
        store = shop_settings.instance_defaults(slug)
        url = layout.url(slug)
        brands.append(
            platform_demo.BrandSeed(
                slug=slug,
                name_zh=store["brand_zh"],
                name_en=store["brand_en"],
                mini_programs=(
                    platform_demo.MiniProgramSeed(
                        key=slug,
                        name_zh=store["name_zh"],
                        name_en=store["name_en"],
                        entry_url=url + shop_settings.ENTRY_PATH,
                        allowed_paths=MINI_PROGRAM_PAGES,
                        icon_url=url + "/art/icon.svg",
                    ),
                ),
            )
        )
    hosts = []
    for slug in HOSTS:
        host = host_settings.instance_defaults(slug)
        url = layout.url(slug)
        hosts.append(
            platform_demo.HostSeed(
                slug=slug,
                name_zh=host["name_zh"],
                name_en=host["name_en"],
                redirect_uris=(url + host_settings.CALLBACK_PATH,),
                webhook_url=url + host_settings.WEBHOOK_PATH,
                logo_url=url + "/logo.svg",
            )
        )
    ports = tuple(
        platform_demo.PortSeed(host_slug=slug, mini_program_key=STORE_OF_HOST[slug], reason=reason)
        for slug, reason in PORT_REASONS.items()
    )
    return platform_demo.PlatformWorld(
        people=(OPERATOR, PLATFORM_USER), brands=tuple(brands), hosts=tuple(hosts), ports=ports
    )


def _common(layout: DemoLayout, kind: ServiceKind, key: str) -> dict[str, Any]:
    name = "platform" if kind is ServiceKind.PLATFORM else f"{kind.value}-{key}"
    values: dict[str, Any] = {
        "environment": "development",
        "data_dir": layout.data_dir,
        # Always given: the demo must never reach a database URL from the environment.
        "database_url": f"sqlite:///{layout.data_dir / (name + '.db')}",
        "base_url": layout.url(key),
    }
    if layout.cheap_hashing and kind is not ServiceKind.SHOP:
        values.update(CHEAP_ARGON2)
    # Read once, here: seeding and the server's own process then use the very same values.
    values.update(tuning(kind, os.environ))
    return values


def platform_config(layout: DemoLayout) -> ServiceConfig:
    return ServiceConfig(
        key="platform",
        kind=ServiceKind.PLATFORM,
        label="微信 (platform)",
        port=layout.platform_port,
        values=_common(layout, ServiceKind.PLATFORM, "platform"),
    )


def host_config(
    layout: DemoLayout, slug: str, credentials: platform_demo.PlatformCredentials
) -> ServiceConfig:
    registered = credentials.host(slug)
    values = {
        **host_settings.instance_defaults(slug),
        **_common(layout, ServiceKind.HOST, slug),
        "platform_url": layout.url("platform"),
        "client_id": registered.client_id,
        "client_secret": registered.client_secret,
        "webhook_secret": registered.webhook_secret,
    }
    return ServiceConfig(
        key=slug,
        kind=ServiceKind.HOST,
        label=f"{registered.name_zh} (host app)",
        port=layout.port(slug),
        values=values,
    )


def shop_config(
    layout: DemoLayout, slug: str, credentials: platform_demo.PlatformCredentials
) -> ServiceConfig:
    registered = credentials.mini_program(slug)
    values = {
        **shop_settings.instance_defaults(slug),
        **_common(layout, ServiceKind.SHOP, slug),
        "platform_url": layout.url("platform"),
        "appid": registered.appid,
        "app_secret": registered.secret,
        # Every registered host app may frame the store, so a port the operator opens later
        # (京东 × Gucci, say) works without restarting the store.
        "frame_ancestors": [layout.url(host) for host in HOSTS],
        # The platform's launch URL names the host app by client id; the brand reads names.
        "host_names": {host.client_id: host.name_zh for host in credentials.hosts},
        "staff_password": STAFF_PASSWORD,
    }
    return ServiceConfig(
        key=slug,
        kind=ServiceKind.SHOP,
        label=f"{values['brand_en']}'s store",
        port=layout.port(slug),
        values=values,
    )


@dataclass(frozen=True)
class SeededWorld:
    layout: DemoLayout
    credentials: platform_demo.PlatformCredentials
    services: tuple[ServiceConfig, ...]  # platform, hosts, stores: the layout's order
    host_reports: dict[str, host_seed.SeedReport]
    store_summaries: dict[str, shop_seed.SeedSummary]

    def service(self, key: str) -> ServiceConfig:
        return next(service for service in self.services if service.key == key)


def seed_platform(
    config: ServiceConfig, world: platform_demo.PlatformWorld
) -> platform_demo.PlatformCredentials:
    settings = config.settings()
    assert isinstance(settings, PlatformSettings)
    cipher = settings.data_cipher()
    upgrade("platform", settings.database_url, attributes={"data_cipher": cipher})
    engine = make_engine(settings.database_url)
    try:
        hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_cost,
            parallelism=settings.argon2_parallelism,
        )
        with unit_of_work(make_sessionmaker(engine)) as session:
            return platform_demo.seed(session, hasher, world, cipher=cipher)
    finally:
        engine.dispose()


def seed_world(layout: DemoLayout, step: StepFactory = _no_progress) -> SeededWorld:
    """Migrate and seed the five databases under ``layout.data_dir`` (which must be fresh)."""
    platform = platform_config(layout)
    with step("Seeding 微信: people, brands, mini programs, host apps, ports"):
        credentials = seed_platform(platform, platform_world(layout))
    hosts = [host_config(layout, slug, credentials) for slug in HOSTS]
    reports: dict[str, host_seed.SeedReport] = {}
    for config in hosts:
        settings = config.settings()
        assert isinstance(settings, HostSettings)
        linked = STORE_OF_HOST[config.key]
        with step(f"Seeding {settings.name_zh}: people, notes, brand accounts"):
            reports[config.key] = host_seed.seed_database(
                settings,
                password=HOST_PASSWORD,
                mp_links={linked: credentials.mini_program(linked).appid},
            )
    stores = [shop_config(layout, slug, credentials) for slug in STORES]
    summaries: dict[str, shop_seed.SeedSummary] = {}
    for config in stores:
        settings = config.settings()
        assert isinstance(settings, ShopSettings)
        with step(f"Seeding {settings.brand_en}'s store: catalogue, boutiques, guides"):
            summaries[config.key] = shop_seed.seed_database(
                settings.database_url, instance=config.key
            )
    return SeededWorld(
        layout=layout,
        credentials=credentials,
        services=(platform, *hosts, *stores),
        host_reports=reports,
        store_summaries=summaries,
    )
