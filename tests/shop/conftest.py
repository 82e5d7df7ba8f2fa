"""Fixtures for the shop: a fresh seeded store database, and a real store server registered
as a mini program on a real platform server, with launch codes from the platform's own
``/wxa/launch``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.db import make_engine, make_sessionmaker
from miniport.platform.ports.states import Actor
from miniport.platform.registry.admin import create_mini_program
from miniport.platform.runtime import PlatformRuntime
from miniport.shop.seed import seed_database
from miniport.shop.sessions.entry import MINI_PROGRAM_PAGES
from miniport.shop.settings import ShopSettings, instance_defaults
from miniport.shop.web.app import create_app
from tests.factories import World, build_world, open_port, run_ticket
from tests.support.servers import free_port, serve_in_thread

HOST_ORIGINS = ["http://127.0.0.1:18201", "https://xhs.example"]
STAFF_PASSWORD = "staff-password-for-tests-0123456789abcdef"
USER_KEY = "host-user-shop-tests"


def make_shop_settings(data_dir: Path, **overrides: Any) -> ShopSettings:
    values: dict[str, Any] = {
        **instance_defaults("gucci"),
        "environment": "test",
        "data_dir": data_dir,
        "frame_ancestors": HOST_ORIGINS,
        "staff_password": STAFF_PASSWORD,
    }
    values.update(overrides)
    return ShopSettings(**values)


@pytest.fixture
def shop_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated, seeded Gucci store database."""
    url = f"sqlite:///{tmp_path / 'shop' / 'shop-gucci.db'}"
    seed_database(url, instance="gucci")
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def shop_sessions(shop_engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(shop_engine)


# --- a store on a real platform ---------------------------------------------------------------


@dataclass(frozen=True)
class ShopWorld:
    """The platform's test world plus the store registered as one of the brand's mini programs."""

    world: World
    appid: str
    app_secret: str


@pytest.fixture
def shop_port() -> int:
    return free_port()


@pytest.fixture
def shop_world(runtime: PlatformRuntime, shop_port: int) -> ShopWorld:
    return register_store(runtime, shop_port)


def register_store(runtime: PlatformRuntime, shop_port: int) -> ShopWorld:
    """The platform's test world, and the store on ``shop_port`` as one of its mini programs."""
    world = build_world(runtime)
    with runtime.sessions() as session, session.begin():
        mini_program, secret = create_mini_program(
            session,
            brand_id=world.brand_id,
            name_zh="GUCCI古驰线上旗舰店（测试）",
            name_en="GUCCI Online Flagship Store (test)",
            entry_url=f"http://127.0.0.1:{shop_port}/mp/entry",
            allowed_paths=list(MINI_PROGRAM_PAGES),
            actor=Actor.system(),
        )
        open_port(session, client_id=world.client_id, appid=mini_program.appid)
    return ShopWorld(world=world, appid=mini_program.appid, app_secret=secret)


@pytest.fixture
def frame_origins() -> list[str]:
    """The registered hosts' origins the store lets frame it (a module may override this)."""
    return HOST_ORIGINS


@pytest.fixture
def shop_settings(
    tmp_path: Path,
    platform_url: str,
    shop_world: ShopWorld,
    shop_port: int,
    frame_origins: list[str],
) -> ShopSettings:
    return seeded_store_settings(
        tmp_path / "shop",
        platform_url,
        shop_world,
        shop_port,
        frame_ancestors=frame_origins,
    )


def seeded_store_settings(
    data_dir: Path, platform_url: str, shop_world: ShopWorld, shop_port: int, **overrides: Any
) -> ShopSettings:
    """Settings of the registered store, its database seeded with Gucci's catalogue."""
    settings = make_shop_settings(
        data_dir,
        base_url=f"http://127.0.0.1:{shop_port}",
        platform_url=platform_url,
        appid=shop_world.appid,
        app_secret=shop_world.app_secret,
        # The platform's launch URL names the host by client id; a slug is mapped too.
        host_names={shop_world.world.client_id: "小红书", "xiaohongshu": "小红书"},
        **overrides,
    )
    seed_database(settings.database_url, instance="gucci")
    return settings


@pytest.fixture
def shop_url(shop_settings: ShopSettings, shop_port: int) -> Iterator[str]:
    """The store served on its loopback port, signing customers in at the real platform."""
    with serve_in_thread(create_app(shop_settings), shop_port) as url:
        yield url


@pytest.fixture
def ticket(platform_url: str, shop_world: ShopWorld) -> str:
    """A run ticket of the world's user for the store, through the real OAuth flow."""
    return run_ticket(platform_url, shop_world.world, [shop_world.appid])


class Launcher:
    """The host's server side of a launch: ``POST /wxa/launch`` with the run ticket."""

    def __init__(self, platform_url: str, ticket: str, appid: str) -> None:
        self.platform_url = platform_url
        self.ticket = ticket
        self.appid = appid

    def launch_url(self, path: str = "/pages/index", *, appid: str | None = None) -> str:
        response = httpx.post(
            f"{self.platform_url}/wxa/launch",
            params={"access_token": self.ticket},
            json={"appid": appid or self.appid, "path": path, "user_key": USER_KEY},
        )
        body = response.json()
        assert body.get("errcode") == 0, body
        launch_url: str = body["launch_url"]
        return launch_url


@pytest.fixture
def launcher(platform_url: str, ticket: str, shop_world: ShopWorld) -> Launcher:
    return Launcher(platform_url, ticket, shop_world.appid)


class Shopper:
    """A browser on the store: keeps cookies, reads forms' hidden fields, never follows
    redirects by itself so tests see each step."""

    def __init__(self, shop_url: str) -> None:
        self.shop_url = shop_url
        self.client = httpx.Client(base_url=shop_url, follow_redirects=False, timeout=15)

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    def open(self, url: str) -> httpx.Response:
        """Open ``url`` (absolute or local) and follow redirects within the store."""
        response = self.client.get(url)
        while response.is_redirect:
            response = self.client.get(response.headers["location"])
        return response

    def enter(self, launch_url: str) -> httpx.Response:
        """Open the platform's launch URL, as the host's frame would (same path and query)."""
        parts = urlsplit(launch_url)
        return self.client.get(f"{parts.path}?{parts.query}")

    def csrf(self, page: httpx.Response) -> str:
        return hidden(page, "csrf_token")

    def post(self, url: str, page: httpx.Response, **fields: str) -> httpx.Response:
        return self.client.post(url, data={"csrf_token": self.csrf(page), **fields})

    def add_to_cart(self, product_id: int, quantity: int = 1) -> httpx.Response:
        page = self.get(f"/products/{product_id}")
        return self.post("/cart/add", page, product_id=str(product_id), quantity=str(quantity))


def hidden(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found, f"no {name} field in {page.url}"
    return found.group(1)


def shown(page: httpx.Response, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', page.text)
    assert found, f"no {testid} in {page.url}"
    return found.group(1).strip()


@pytest.fixture
def shopper(shop_url: str) -> Iterator[Shopper]:
    browser = Shopper(shop_url)
    yield browser
    browser.close()


@pytest.fixture
def entered(shopper: Shopper, launcher: Launcher) -> Shopper:
    """A shopper who opened the store from the host with a fresh launch code."""
    response = shopper.enter(launcher.launch_url())
    assert response.status_code == 303, response.text
    return shopper
