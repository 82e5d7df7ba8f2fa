"""A customer who entered from the host shops: bag → checkout → order (with its source) →
payment; the brand's staff see and move the order. A double submit makes one order."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from miniport.common.db import make_engine, make_sessionmaker
from miniport.shop.orders.models import Order
from miniport.shop.settings import ShopSettings
from tests.shop.conftest import STAFF_PASSWORD, Launcher, Shopper, hidden, shown


def _order_count(settings: ShopSettings) -> int:
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return int(session.scalar(select(func.count()).select_from(Order)) or 0)
    finally:
        engine.dispose()


def _checkout_form(shopper: Shopper, **fields: str) -> tuple[httpx.Response, dict[str, str]]:
    page = shopper.get("/checkout")
    assert page.status_code == 200, page.text
    form = {
        "csrf_token": shopper.csrf(page),
        "idempotency_key": hidden(page, "idempotency_key"),
        "fulfilment": "pickup",
        "boutique_id": "1",
    }
    form.update(fields)
    return page, form


def test_add_to_bag_checkout_and_the_order_records_where_the_customer_came_from(
    entered: Shopper,
) -> None:
    assert entered.add_to_cart(1).headers["location"] == "/cart"
    assert entered.add_to_cart(4, quantity=2).status_code == 303
    bag = entered.get("/cart")
    assert shown(bag, "cart-total") == "¥33,300"  # 19,500 + 2 × 6,900, in whole fen
    assert 'data-testid="cart-checkout"' in bag.text

    _page, form = _checkout_form(entered)
    placed = entered.client.post("/orders", data=form)

    assert placed.status_code == 303
    number = placed.headers["location"].removeprefix("/orders/")
    order = entered.get(f"/orders/{number}")
    assert shown(order, "order-number") == number
    assert shown(order, "order-source") == "小红书 · 场景值 1069（从App打开）"
    assert shown(order, "order-total") == "¥33,300"
    assert shown(order, "order-state") == "待付款"
    assert "恒隆广场" in shown(order, "order-boutique")
    assert entered.get("/cart").text.count('data-testid="cart-line"') == 0  # bag emptied


def test_a_host_named_in_the_entry_url_is_shown_as_the_source(
    shopper: Shopper, launcher: Launcher
) -> None:
    # If the platform's launch URL names the host app, the store keeps it with the order.
    shopper.enter(launcher.launch_url() + "&host=xiaohongshu")
    shopper.add_to_cart(2)
    _page, form = _checkout_form(shopper)
    number = shopper.client.post("/orders", data=form).headers["location"].removeprefix("/orders/")

    english = shopper.get(f"/orders/{number}?lang=en")

    assert shown(english, "order-source") == "小红书 · Scene 1069 (opened from an app)"


def test_a_double_submit_makes_one_order(entered: Shopper, shop_settings: ShopSettings) -> None:
    entered.add_to_cart(3)
    _page, form = _checkout_form(entered)

    first = entered.client.post("/orders", data=form)
    second = entered.client.post("/orders", data=form)

    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert _order_count(shop_settings) == 1


def test_concurrent_submits_of_one_checkout_make_one_order(
    entered: Shopper, shop_settings: ShopSettings, shop_url: str
) -> None:
    entered.add_to_cart(3)
    entered.add_to_cart(5)
    _page, form = _checkout_form(entered)
    cookies = dict(entered.client.cookies)
    start = threading.Barrier(8)

    def submit(_: int) -> str:
        with httpx.Client(base_url=shop_url, cookies=cookies, timeout=30) as client:
            start.wait()
            response = client.post("/orders", data=form, follow_redirects=False)
            assert response.status_code == 303, response.text
            return response.headers["location"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        locations = set(pool.map(submit, range(8)))

    assert len(locations) == 1
    assert _order_count(shop_settings) == 1


def test_a_new_checkout_page_makes_a_new_order(
    entered: Shopper, shop_settings: ShopSettings
) -> None:
    entered.add_to_cart(3)
    _page, first_form = _checkout_form(entered)
    entered.client.post("/orders", data=first_form)
    entered.add_to_cart(3)
    _page, second_form = _checkout_form(entered)
    assert second_form["idempotency_key"] != first_form["idempotency_key"]

    entered.client.post("/orders", data=second_form)

    assert _order_count(shop_settings) == 2


def test_delivery_needs_an_address_and_keeps_the_checkout_key(entered: Shopper) -> None:
    entered.add_to_cart(6)
    _page, form = _checkout_form(entered, fulfilment="delivery", recipient_name="林")

    refused = entered.client.post("/orders", data=form)

    assert refused.status_code == 400
    assert "收件人姓名" in shown(refused, "checkout-problem")
    assert hidden(refused, "idempotency_key") == form["idempotency_key"]
    form.update(recipient_phone="13800000000", address="上海市静安区南京西路1号")
    assert entered.client.post("/orders", data=form).status_code == 303


def test_pay_then_staff_ship_and_complete(entered: Shopper, shop_url: str) -> None:
    entered.add_to_cart(1)
    _page, form = _checkout_form(entered)
    number = entered.client.post("/orders", data=form).headers["location"].removeprefix("/orders/")
    order_page = entered.get(f"/orders/{number}")
    assert 'data-testid="pay-now"' in order_page.text

    cashier = entered.get(f"/orders/{number}/pay")
    assert shown(cashier, "pay-amount") == "¥19,500"
    paid = entered.post(f"/orders/{number}/pay", cashier)
    assert paid.status_code == 303
    again = entered.post(f"/orders/{number}/pay", cashier)  # a second tap charges nothing more
    assert again.status_code == 303
    assert shown(entered.get(f"/orders/{number}"), "order-state") == "已付款，备货中"

    staff = Shopper(shop_url)
    try:
        signin = staff.get("/staff/signin")
        assert staff.post("/staff/signin", signin, password=STAFF_PASSWORD).status_code == 303
        orders = staff.get("/staff/orders")
        assert number in orders.text
        assert shown(orders, "staff-order-source") == "小红书 · 场景值 1069（从App打开）"
        assert "恒隆广场" in shown(orders, "staff-order-boutique")
        assert staff.post(f"/staff/orders/{number}/ship", orders).status_code == 303
        # Shipping twice is off the diagram: the order is already shipped.
        assert staff.post(f"/staff/orders/{number}/ship", orders).status_code == 409
        assert staff.post(f"/staff/orders/{number}/complete", orders).status_code == 303
    finally:
        staff.close()
    assert shown(entered.get(f"/orders/{number}"), "order-state") == "已完成"


def test_a_paid_order_cannot_be_cancelled_by_the_customer(entered: Shopper) -> None:
    entered.add_to_cart(2)
    _page, form = _checkout_form(entered)
    number = entered.client.post("/orders", data=form).headers["location"].removeprefix("/orders/")
    cashier = entered.get(f"/orders/{number}/pay")
    entered.post(f"/orders/{number}/pay", cashier)

    refused = entered.post(f"/orders/{number}/cancel", cashier)

    assert refused.status_code == 409
    assert 'data-testid="cancel-order"' not in entered.get(f"/orders/{number}").text


def test_customers_see_only_their_own_orders(
    entered: Shopper, shop_url: str, launcher: Launcher
) -> None:
    entered.add_to_cart(2)
    _page, form = _checkout_form(entered)
    number = entered.client.post("/orders", data=form).headers["location"].removeprefix("/orders/")
    stranger = Shopper(shop_url)
    try:
        assert stranger.get(f"/orders/{number}").status_code == 401  # no session at all
    finally:
        stranger.close()
    assert re.fullmatch(r"GC\d{14}", number)


def test_forms_without_the_csrf_token_are_refused(entered: Shopper) -> None:
    response = entered.client.post("/cart/add", data={"product_id": "1", "quantity": "1"})
    assert response.status_code == 403
    assert entered.get("/cart").text.count('data-testid="cart-line"') == 0


def test_the_bag_needs_a_session(shopper: Shopper) -> None:
    response = shopper.get("/cart")
    assert response.status_code == 401
    assert 'data-testid="needs-entry"' in response.text
    product = shopper.get("/products/1")
    assert 'data-testid="add-to-cart"' not in product.text
    assert 'data-testid="open-from-app"' in product.text
