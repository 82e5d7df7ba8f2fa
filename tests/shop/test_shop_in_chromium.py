"""The store in Debian's Chromium: inside a registered host's frame a customer shops and pays;
a page of an unregistered origin cannot frame it. Screenshots of the main pages are saved
(``MINIPORT_SCREENSHOT_DIR``, else the test's temporary directory)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from html import escape
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, ViewportSize, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.shop.conftest import Launcher
from tests.support.servers import free_port, serve_in_thread

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def host_port() -> int:
    return free_port()


@pytest.fixture
def stranger_port() -> int:
    return free_port()


@pytest.fixture
def frame_origins(host_port: int) -> list[str]:
    return [f"http://127.0.0.1:{host_port}"]


def _container_app() -> Starlette:
    """A stand-in for a host's mini-program container: the launch URL in a phone-sized frame."""

    def page(request: Request) -> HTMLResponse:
        src = escape(request.query_params.get("src", ""))
        return HTMLResponse(
            "<!doctype html><meta charset=utf-8><title>host</title>"
            "<style>body{margin:0}iframe{border:0;width:390px;height:844px}</style>"
            f'<iframe id="mp" src="{src}" referrerpolicy="origin"></iframe>'
        )

    return Starlette(routes=[Route("/container", page)])


@pytest.fixture
def host_url(host_port: int) -> Iterator[str]:
    with serve_in_thread(_container_app(), host_port) as url:
        yield url


@pytest.fixture
def stranger_url(stranger_port: int) -> Iterator[str]:
    with serve_in_thread(_container_app(), stranger_port) as url:
        yield url


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("MINIPORT_SCREENSHOT_DIR") or tmp_path / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_shopping_inside_a_registered_hosts_frame(
    browser: Browser, host_url: str, shop_url: str, launcher: Launcher, screenshots: Path
) -> None:
    page = browser.new_page(viewport=PHONE, locale="zh-CN")
    src = quote(launcher.launch_url("/pages/product?id=1"), safe="")
    page.goto(f"{host_url}/container?src={src}")
    store = page.frame_locator("#mp")

    store.get_by_test_id("add-to-cart").click()
    store.get_by_test_id("cart-checkout").click()
    store.get_by_test_id("fulfilment-pickup").check()
    store.get_by_test_id("place-order").click()
    number = store.get_by_test_id("order-number").inner_text()
    assert store.get_by_test_id("order-source").inner_text() == "小红书 · 场景值 1069（从App打开）"
    store.get_by_test_id("pay-now").click()
    store.get_by_test_id("confirm-payment").click()

    assert store.get_by_test_id("order-state").inner_text() == "已付款，备货中"
    assert number.startswith("GC")
    page.screenshot(path=str(screenshots / "store-in-host-order.png"))
    page.close()


def test_an_unregistered_origin_cannot_frame_the_store(
    browser: Browser, stranger_url: str, shop_url: str
) -> None:
    page = browser.new_page(viewport=PHONE, locale="zh-CN")
    page.goto(f"{stranger_url}/container?src={quote(shop_url + '/', safe='')}")
    page.wait_for_timeout(500)

    frame = page.frames[-1]
    assert frame is not page.main_frame
    assert frame.url.startswith("chrome-error://")
    page.close()


def test_screenshots_of_the_main_pages(
    browser: Browser, shop_url: str, launcher: Launcher, screenshots: Path
) -> None:
    page = browser.new_page(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page.goto(launcher.launch_url())
    page.screenshot(path=str(screenshots / "home.png"), full_page=True)
    page.get_by_test_id("product-card").nth(1).click()
    page.screenshot(path=str(screenshots / "product.png"))
    page.get_by_test_id("add-to-cart").click()
    page.goto(f"{shop_url}/products/5")
    page.get_by_test_id("add-to-cart").click()
    page.screenshot(path=str(screenshots / "cart.png"))
    page.get_by_test_id("cart-checkout").click()
    page.screenshot(path=str(screenshots / "checkout.png"), full_page=True)
    page.get_by_test_id("fulfilment-pickup").check()
    page.get_by_test_id("place-order").dblclick()  # an impatient double click: one order
    page.get_by_test_id("order-number").wait_for()
    page.screenshot(path=str(screenshots / "order.png"), full_page=True)
    page.get_by_test_id("pay-now").click()
    page.screenshot(path=str(screenshots / "pay.png"))
    page.get_by_test_id("confirm-payment").click()
    page.goto(f"{shop_url}/orders")
    assert page.get_by_test_id("order-card").count() == 1
    page.goto(f"{shop_url}/me")
    page.screenshot(path=str(screenshots / "me.png"), full_page=True)
    page.goto(f"{shop_url}/boutiques?lang=en")
    page.screenshot(path=str(screenshots / "boutiques-en.png"), full_page=True)
    assert page.get_by_test_id("boutique").count() == 3
    page.close()
