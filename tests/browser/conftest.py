"""Browser tests of the governance consoles: Debian's Chromium driven by Playwright.

Run on their own (``pytest -m browser tests/browser``): Playwright's sync API runs its own
event loop, which must not share a process with other suites' loops. Never
``playwright install``: the system Chromium is used as it is.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)
from rich.console import Console

from miniport.demo import DemoLayout, RunningDemo, running_demo
from miniport.demo.world import HOST_PASSWORD, PLATFORM_USER
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, build_world
from tests.support.servers import free_port

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
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


# Module scope, not session: Playwright's sync API runs an event loop while it is open, and
# other browser suites (tests/shop/test_shop_in_chromium.py) start their own sync_playwright();
# a loop left open for the whole session makes theirs fail when `pytest -m browser` runs all.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def chromium(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def console_page(chromium: Browser) -> Iterator[Page]:
    """A fresh desktop-sized browser context in English (zh-CN is checked in one test)."""
    context = chromium.new_context(viewport={"width": 1440, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def console_world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)


class Person(Protocol):
    """Whoever signs in to the console: a test's staff member or one of the demo's people."""

    @property
    def username(self) -> str: ...

    @property
    def password(self) -> str: ...


def sign_in(page: Page, platform_url: str, user: Person, *, lang: str = "en") -> None:
    page.goto(f"{platform_url}/signin?next=/console&lang={lang}")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", user.password)
    page.click("[data-testid=signin-submit]")
    page.wait_for_url("**/console/**")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# --- a phone, for the partner apps and the stores ---------------------------------------------

PHONE: ViewportSize = {"width": 390, "height": 844}


def new_phone(chromium: Browser) -> BrowserContext:
    """A fresh phone-sized context in Chinese: one person's phone, with its own cookies."""
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", device_scale_factor=1)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def phone(chromium: Browser) -> Iterator[BrowserContext]:
    context = new_phone(chromium)
    yield context
    context.close()


# --- the demo's five real servers, and what a person does in a host app ------------------------


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[RunningDemo]:
    """A fresh ``miniport demo`` (same processes, databases and seeding) on free ports."""
    with demo_on_free_ports(tmp_path / "demo") as running:
        yield running


@contextmanager
def demo_on_free_ports(data_dir: Path) -> Iterator[RunningDemo]:
    """``miniport demo``'s start-up, on free ports: beside a demo a person runs on the
    default ones, it neither fails nor disturbs that one."""
    layout = DemoLayout(
        data_dir=data_dir,
        platform_port=free_port(),
        xiaohongshu_port=free_port(),
        jd_port=free_port(),
        gucci_port=free_port(),
        louis_vuitton_port=free_port(),
        cheap_hashing=True,
    )
    with running_demo(layout, console=Console(file=io.StringIO())) as running:
        yield running


def sign_in_to_host(page: Page, host_url: str) -> None:
    page.goto(f"{host_url}/signin")
    page.fill("input[name=username]", PLATFORM_USER.username)
    page.fill("input[name=password]", HOST_PASSWORD)
    page.get_by_test_id("signin-submit").click()
    # Signed in: the form is gone (a refusal would re-render it with an error).
    page.wait_for_url(lambda url: "/signin" not in url)


def search(page: Page, host_url: str, query: str) -> Locator:
    """Search as a person does (type, submit); returns the leading brand card."""
    page.goto(f"{host_url}/search")
    page.get_by_test_id("search-input").fill(query)
    page.get_by_test_id("search-submit").click()
    page.wait_for_url(re.compile(r"/search\?"))
    card = page.get_by_test_id("brand-card").first
    expect(card).to_be_visible()
    return card
