"""The store stays right as time passes: its staff sign-in window, staff and customer
sessions, and the sweep that reports paid orders the platform missed, on a real store beside
a real platform, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from miniport.platform.miniprogram_api.models import OrderReport
from miniport.platform.runtime import PlatformRuntime
from miniport.shop.settings import ShopSettings
from miniport.shop.staff import FAILURE_WINDOW_SECONDS, MAX_FAILURES
from miniport.shop.web.app import create_app
from tests.factories import run_ticket
from tests.shop.conftest import (
    STAFF_PASSWORD,
    Launcher,
    Shopper,
    ShopWorld,
    hidden,
    register_store,
    seeded_store_settings,
)
from tests.support.platform_server import (
    BACKENDS,
    database_for,
    platform_settings,
    serving_platform,
)
from tests.support.servers import free_port, serve_in_thread
from tests.support.timeline import Timeline, travelling

# The sweep's interval, shortened: it waits on a real timer, so the test waits for real.
SWEEP_SECONDS = 0.5


@dataclass
class Store:
    url: str
    settings: ShopSettings
    world: ShopWorld
    time: Timeline
    platform_url: str
    platform: PlatformRuntime
    stack: ExitStack  # the platform server's lifetime, which a test may end early

    def shopper(self) -> Shopper:
        """A customer who opened the store from the host app with a fresh launch code."""
        shopper = Shopper(self.url)
        ticket = run_ticket(self.platform_url, self.world.world, [self.world.appid])
        launch_url = Launcher(self.platform_url, ticket, self.world.appid).launch_url()
        assert shopper.enter(launch_url).status_code == 303
        return shopper


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend = request.param
    with (
        travelling() as timeline,
        database_for(request, backend) as platform_database,
        database_for(request, backend, "shop") as shop_database,
        ExitStack() as platform_stack,
    ):
        settings = platform_settings(tmp_path / "platform", platform_database)
        platform_url, runtime = platform_stack.enter_context(serving_platform(settings))
        shop_port = free_port()
        world = register_store(runtime, shop_port)
        overrides: dict[str, object] = {"order_report_seconds": SWEEP_SECONDS}
        if shop_database is not None:
            overrides["database_url"] = shop_database
        shop_settings = seeded_store_settings(
            tmp_path / "shop", platform_url, world, shop_port, **overrides
        )
        with serve_in_thread(create_app(shop_settings), shop_port) as url:
            yield Store(url, shop_settings, world, timeline, platform_url, runtime, platform_stack)


def staff_sign_in(client: httpx.Client, store: Store, password: str) -> httpx.Response:
    page = client.get(store.url + "/staff/signin")
    return client.post(
        store.url + "/staff/signin",
        data={"csrf_token": hidden(page, "csrf_token"), "password": password},
    )


def test_staff_sign_in_refused_after_too_many_failures_is_allowed_after_the_window(
    store: Store,
) -> None:
    with httpx.Client(timeout=10) as client:
        for _ in range(MAX_FAILURES):
            assert staff_sign_in(client, store, "not the password").status_code == 401
        assert staff_sign_in(client, store, STAFF_PASSWORD).status_code == 429

        store.time.advance(FAILURE_WINDOW_SECONDS + 1)

        signed_in = staff_sign_in(client, store, STAFF_PASSWORD)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/staff/orders"


def test_a_staff_session_ends_after_its_lifetime(store: Store) -> None:
    with httpx.Client(timeout=10) as client:
        assert staff_sign_in(client, store, STAFF_PASSWORD).status_code == 303
        name = store.settings.staff_cookie
        cookie = {"Cookie": f"{name}={client.cookies[name]}"}
    # Sent explicitly: a browser drops the cookie itself, but a copy of it must die too.
    assert httpx.get(store.url + "/staff/orders", headers=cookie).status_code == 200

    store.time.advance(store.settings.staff_session_hours * 3600 + 1)

    answer = httpx.get(store.url + "/staff/orders", headers=cookie)
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/signin"


def test_a_customer_session_ends_after_its_lifetime(store: Store) -> None:
    shopper = store.shopper()
    try:
        name = store.settings.session_cookie
        cookie = {"Cookie": f"{name}={shopper.client.cookies[name]}"}
    finally:
        shopper.close()
    assert httpx.get(store.url + "/cart", headers=cookie).status_code == 200

    store.time.advance(store.settings.session_hours * 3600 + 1)

    answer = httpx.get(store.url + "/cart", headers=cookie)
    assert answer.status_code == 401 and 'data-testid="needs-entry"' in answer.text


def _reports(runtime: PlatformRuntime) -> list[str]:
    with runtime.sessions() as session:
        return list(session.scalars(select(OrderReport.order_id)))


def test_an_order_paid_while_the_platform_was_away_is_reported_by_the_next_sweep(
    store: Store,
) -> None:
    shopper = store.shopper()
    store.stack.close()  # the platform goes away: its server stops, its database stays
    try:
        shopper.add_to_cart(1)
        page = shopper.get("/checkout")
        form = {
            "csrf_token": shopper.csrf(page),
            "idempotency_key": hidden(page, "idempotency_key"),
            "fulfilment": "pickup",
            "boutique_id": "1",
        }
        placed = shopper.client.post("/orders", data=form)
        number = placed.headers["location"].removeprefix("/orders/")
        cashier = shopper.get(f"/orders/{number}/pay")
        # Paying needs nothing of the platform; the report after it fails and waits.
        assert shopper.post(f"/orders/{number}/pay", cashier).status_code == 303
    finally:
        shopper.close()
    time.sleep(SWEEP_SECONDS)

    # The platform is back, on the same address; nobody pays or asks for anything.
    with serving_platform(store.platform.settings) as (_, platform):
        deadline = time.monotonic() + 10 * SWEEP_SECONDS + 5
        while _reports(platform) != [number] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _reports(platform) == [number]
