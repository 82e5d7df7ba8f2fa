"""A paid order reaches the platform (``/wxa/report_order``) at least once and is counted once:
right after the payment, again after the platform was away or the store crashed before it
marked the order, and never again once the platform refused it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.db import make_engine, make_sessionmaker
from miniport.platform.miniprogram_api.models import OrderReport
from miniport.platform.runtime import PlatformRuntime
from miniport.sdk import MiniProgramClient, RetryPolicy
from miniport.shop.orders.models import Order
from miniport.shop.orders.reporting import report_paid_orders
from miniport.shop.settings import ShopSettings
from tests.shop.conftest import Shopper, ShopWorld, hidden
from tests.support.servers import free_port


@pytest.fixture
def shop_db(shop_settings: ShopSettings) -> Iterator[sessionmaker[Session]]:
    engine: Engine = make_engine(shop_settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _pay_an_order(shopper: Shopper) -> str:
    shopper.add_to_cart(1)  # ¥19,500
    page = shopper.get("/checkout")
    form = {
        "csrf_token": shopper.csrf(page),
        "idempotency_key": hidden(page, "idempotency_key"),
        "fulfilment": "pickup",
        "boutique_id": "1",
    }
    number = shopper.client.post("/orders", data=form).headers["location"].removeprefix("/orders/")
    cashier = shopper.get(f"/orders/{number}/pay")
    assert shopper.post(f"/orders/{number}/pay", cashier).status_code == 303
    return number


def _platform_reports(runtime: PlatformRuntime) -> list[tuple[str, str | None, int]]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(OrderReport.order_id, OrderReport.client_id, OrderReport.amount)
        ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def _order(shop_db: sessionmaker[Session], number: str) -> Order:
    with shop_db() as session:
        order = session.scalars(select(Order).where(Order.number == number)).one()
        session.expunge(order)
        return order


def _wait_until_reported(shop_db: sessionmaker[Session], number: str) -> Order:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        order = _order(shop_db, number)
        if order.platform_reported_at is not None:
            return order
        time.sleep(0.05)
    raise AssertionError(f"order {number} was not reported within 15 s")


def _client(url: str, shop_world: ShopWorld) -> MiniProgramClient:
    return MiniProgramClient(
        url,
        appid=shop_world.appid,
        secret=shop_world.app_secret,
        timeout=2,
        retry=RetryPolicy(attempts=1),
    )


def _unmark(shop_db: sessionmaker[Session], number: str) -> None:
    with shop_db() as session, session.begin():
        session.execute(
            update(Order).where(Order.number == number).values(platform_reported_at=None)
        )


def test_a_paid_order_is_reported_at_once_and_attributed_to_the_host(
    entered: Shopper,
    shop_db: sessionmaker[Session],
    shop_world: ShopWorld,
    runtime: PlatformRuntime,
) -> None:
    number = _pay_an_order(entered)
    order = _wait_until_reported(shop_db, number)
    assert order.platform_report_error is None
    # The customer came in through 小红书's launch; the platform found that from the openid.
    assert _platform_reports(runtime) == [(number, shop_world.world.client_id, 1_950_000)]


def test_an_order_reported_twice_is_counted_once(
    entered: Shopper,
    shop_db: sessionmaker[Session],
    shop_world: ShopWorld,
    runtime: PlatformRuntime,
    platform_url: str,
) -> None:
    number = _pay_an_order(entered)
    _wait_until_reported(shop_db, number)
    # The store crashed after the platform recorded the report and before it marked the
    # order: the next sweep sends it again.
    _unmark(shop_db, number)
    with _client(platform_url, shop_world) as platform:
        result = report_paid_orders(shop_db, platform)
    assert (result.reported, result.refused, result.stopped_by) == (1, 0, None)
    assert _order(shop_db, number).platform_reported_at is not None
    assert [r[0] for r in _platform_reports(runtime)] == [number]


def test_while_the_platform_is_away_the_order_waits_for_the_next_sweep(
    entered: Shopper,
    shop_db: sessionmaker[Session],
    shop_world: ShopWorld,
    runtime: PlatformRuntime,
    platform_url: str,
) -> None:
    number = _pay_an_order(entered)
    _wait_until_reported(shop_db, number)
    _unmark(shop_db, number)
    with runtime.sessions() as session, session.begin():
        session.execute(OrderReport.__table__.delete())

    with _client(f"http://127.0.0.1:{free_port()}", shop_world) as away:
        result = report_paid_orders(shop_db, away)
    assert result.stopped_by == "TransportError" and result.reported == 0
    assert _order(shop_db, number).platform_reported_at is None

    with _client(platform_url, shop_world) as platform:
        assert report_paid_orders(shop_db, platform).reported == 1
    assert [r[0] for r in _platform_reports(runtime)] == [number]


def test_an_order_the_platform_refuses_is_kept_with_the_reason_and_not_sent_again(
    entered: Shopper,
    shop_db: sessionmaker[Session],
    shop_world: ShopWorld,
    runtime: PlatformRuntime,
    platform_url: str,
) -> None:
    number = _pay_an_order(entered)
    _wait_until_reported(shop_db, number)
    with runtime.sessions() as session, session.begin():
        session.execute(OrderReport.__table__.delete())
    # Paid 40 days ago: older than the platform takes.
    with shop_db() as session, session.begin():
        session.execute(
            update(Order)
            .where(Order.number == number)
            .values(
                platform_reported_at=None,
                paid_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=40),
            )
        )

    with _client(platform_url, shop_world) as platform:
        first = report_paid_orders(shop_db, platform)
        second = report_paid_orders(shop_db, platform)
    assert (first.reported, first.refused) == (0, 1)
    assert (second.reported, second.refused) == (0, 0)
    order = _order(shop_db, number)
    assert order.platform_reported_at is None
    assert order.platform_report_error is not None and "paid_time" in order.platform_report_error
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OrderReport)) == 0
