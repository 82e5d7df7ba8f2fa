"""The article's scenario end to end in Chromium, on the demo's five real servers.

A 小红书 user finds Gucci, taps its store, allows it on 微信 and orders inside 小红书; the
next tap needs no consent; the operator closes 小红书 × Gucci and the card reverts while
京东 × Louis Vuitton keeps working; revoking 小红书 on 微信 brings the consent back.

Each test gets its own demo (the ``demo`` fixture of ``conftest``: the same processes,
databases and seeding as ``miniport demo``) on free ports in a temporary directory, and
each step saves a phone-sized screenshot into ``test-artifacts/``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Frame,
    FrameLocator,
    Locator,
    Page,
    Route,
    expect,
)

from miniport.demo import RunningDemo
from miniport.demo.world import OPERATOR, PLATFORM_USER, STAFF_PASSWORD
from tests.browser.conftest import ARTIFACTS, new_phone, search, sign_in_to_host

pytestmark = pytest.mark.browser

CONSENT_XIAOHONGSHU = "小红书申请以你的微信身份运行小程序"
CONSENT_JD = "京东申请以你的微信身份运行小程序"
FROM_XIAOHONGSHU = "小红书 · 场景值 1069（从App打开）"
# How long a reverted card may take to show: the close reaches 小红书 as a signed webhook,
# which the platform sends within about a second; the card cache alone would take 30 s.
CARD_REVERT_TIMEOUT = 20.0


@pytest.fixture
def page(phone: BrowserContext) -> Page:
    return phone.new_page()


def shot(page: Page, name: str) -> None:
    """The visible phone screen, as a person would see it (not the whole scrolled page)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"article-{name}.png"))


# --- what a person does ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ids:
    xiaohongshu: str  # client ids
    jd: str
    gucci: str  # appids
    louis_vuitton: str


def ids_of(demo: RunningDemo) -> Ids:
    credentials = demo.world.credentials
    return Ids(
        xiaohongshu=credentials.host("xiaohongshu").client_id,
        jd=credentials.host("jd").client_id,
        gucci=credentials.mini_program("gucci").appid,
        louis_vuitton=credentials.mini_program("louis-vuitton").appid,
    )


def sign_in_to_platform_if_asked(page: Page, platform_url: str) -> None:
    """The platform's sign-in page comes first when this phone has no 微信 session yet."""
    page.wait_for_url(re.compile(re.escape(platform_url)))
    if page.locator("input[name=password]").count():
        page.fill("input[name=username]", PLATFORM_USER.username)
        page.fill("input[name=password]", PLATFORM_USER.password)
        page.get_by_test_id("signin-submit").click()


def allow(page: Page, platform_url: str, sentence: str, screenshot: str | None = None) -> None:
    sign_in_to_platform_if_asked(page, platform_url)
    expect(page.get_by_test_id("consent-title")).to_have_text(sentence)
    if screenshot:
        shot(page, screenshot)
    page.get_by_test_id("consent-allow").click()


def store_in_container(page: Page, host_url: str) -> FrameLocator:
    """The container page of the host, with the store loaded in its frame."""
    page.wait_for_url(re.compile(re.escape(host_url) + r"/mp/run\?"))
    expect(page.get_by_test_id("mp-container")).to_be_visible()
    store = page.frame_locator("[data-testid=mp-frame]")
    expect(store.get_by_test_id("product-card").first).to_be_visible()
    return store


def open_gucci_through_consent(page: Page, demo: RunningDemo) -> FrameLocator:
    xiaohongshu = demo.url("xiaohongshu")
    sign_in_to_host(page, xiaohongshu)
    card = search(page, xiaohongshu, "Gucci")
    card.get_by_test_id("mp-entry").click()
    allow(page, demo.url("platform"), CONSENT_XIAOHONGSHU)
    return store_in_container(page, xiaohongshu)


def close_port_in_console(chromium: Browser, demo: RunningDemo, ids: Ids, reason: str) -> None:
    """The operator closes 小红书 × Gucci from the ports matrix of the platform's console."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    try:
        console = context.new_page()
        console.set_default_timeout(15_000)
        console.goto(f"{demo.url('platform')}/signin?next=/console&lang=en")
        console.fill("input[name=username]", OPERATOR.username)
        console.fill("input[name=password]", OPERATOR.password)
        console.get_by_test_id("signin-submit").click()
        console.wait_for_url("**/console/**")
        console.get_by_test_id("nav-matrix").click()
        cell = console.locator(
            f'[data-testid=cell][data-client-id="{ids.xiaohongshu}"][data-appid="{ids.gucci}"]'
        )
        expect(cell).to_have_attribute("data-state", "open")
        cell.locator("[data-testid=cell-link]").click()
        console.get_by_test_id("close-port").click()
        console.get_by_test_id("category").select_option("policy")
        console.get_by_test_id("reason").fill(reason)
        console.get_by_test_id("confirm-close").click()
        expect(console.get_by_test_id("port")).to_have_attribute("data-state", "closed")
        shot(console, "6-operator-closed-the-port")
    finally:
        context.close()


def wait_for_plain_card(page: Page, host_url: str, query: str) -> Locator:
    """Reload the search until the card has no entry (polling, with a deadline)."""
    deadline = time.monotonic() + CARD_REVERT_TIMEOUT
    while True:
        card = search(page, host_url, query)
        if card.get_by_test_id("mp-entry").count() == 0:
            return card
        if time.monotonic() > deadline:
            pytest.fail(
                f"the card still shows the store {CARD_REVERT_TIMEOUT:.0f} s after the close"
            )
        page.wait_for_timeout(250)


def saved_launch_url(page: Page, demo: RunningDemo) -> str:
    """A launch URL the platform issued but nobody opened yet: the store's frame is stopped
    before it loads, as if its link had been copied instead of followed."""
    gucci = demo.url("gucci")
    seen: list[str] = []

    def hold(route: Route) -> None:
        seen.append(route.request.url)
        route.abort()

    page.route(re.compile(re.escape(gucci) + r"/mp/entry\?"), hold)
    try:
        page.reload()
        expect(page.get_by_test_id("mp-container")).to_be_visible()
        deadline = time.monotonic() + 10
        while not seen:
            if time.monotonic() > deadline:
                pytest.fail("the container never asked for the store's entry URL")
            page.wait_for_timeout(50)
    finally:
        page.unroute(re.compile(re.escape(gucci) + r"/mp/entry\?"))
    return seen[0]


def main_frame_urls(page: Page) -> list[str]:
    urls: list[str] = []

    def record(frame: Frame) -> None:
        if frame == page.main_frame:
            urls.append(frame.url)

    page.on("framenavigated", record)
    return urls


# --- the scenario ------------------------------------------------------------------------------


def test_1_search_tap_consent_and_order_inside_xiaohongshu(
    demo: RunningDemo, page: Page, chromium: Browser
) -> None:
    xiaohongshu, platform = demo.url("xiaohongshu"), demo.url("platform")
    sign_in_to_host(page, xiaohongshu)

    card = search(page, xiaohongshu, "Gucci")
    expect(card).to_have_attribute("data-account", "gucci")  # the brand's card leads
    entry = card.get_by_test_id("mp-entry")
    expect(entry).to_contain_text("GUCCI古驰线上旗舰店")
    expect(entry).to_contain_text("小程序")
    shot(page, "1-search-card")

    entry.click()
    sign_in_to_platform_if_asked(page, platform)
    assert page.url.startswith(platform + "/")  # consent is the platform's page, not 小红书's
    allow(page, platform, CONSENT_XIAOHONGSHU, screenshot="2-consent")

    store = store_in_container(page, xiaohongshu)
    expect(page.get_by_test_id("mp-title")).to_have_text("GUCCI古驰线上旗舰店")
    shot(page, "3-store-in-xiaohongshu")

    store.get_by_test_id("product-card").first.click()
    store.get_by_test_id("add-to-cart").click()
    store.get_by_test_id("cart-checkout").click()
    store.get_by_test_id("fulfilment-pickup").check()
    store.get_by_test_id("place-order").click()
    number = store.get_by_test_id("order-number").inner_text().strip()
    expect(store.get_by_test_id("order-source")).to_have_text(FROM_XIAOHONGSHU)
    expect(store.get_by_test_id("pay-now")).to_be_visible()
    assert number.startswith("GC")
    shot(page, "4-order-in-xiaohongshu")

    # The brand's own staff list has the order, with 小红书 as where it came from.
    staff = new_phone(chromium)
    try:
        staff_page = staff.new_page()
        staff_page.goto(f"{demo.url('gucci')}/staff/signin")
        staff_page.get_by_test_id("staff-password").fill(STAFF_PASSWORD)
        staff_page.get_by_test_id("staff-signin").click()
        order = staff_page.get_by_test_id("staff-order").filter(has_text=number)
        expect(order.get_by_test_id("staff-order-source")).to_have_text(FROM_XIAOHONGSHU)
        shot(staff_page, "5-order-in-gucci-staff-list")
    finally:
        staff.close()


def test_2_a_second_tap_skips_the_consent(demo: RunningDemo, page: Page) -> None:
    xiaohongshu, platform = demo.url("xiaohongshu"), demo.url("platform")
    open_gucci_through_consent(page, demo)
    page.get_by_test_id("mp-close").click()  # ✕ back to the search
    card = page.get_by_test_id("brand-card").first
    visited = main_frame_urls(page)

    card.get_by_test_id("mp-entry").click()

    store_in_container(page, xiaohongshu)
    assert not [url for url in visited if url.startswith(platform)], visited
    shot(page, "7-second-tap-straight-to-the-store")


def test_3_closing_the_port_reverts_the_card_and_kills_saved_launches(
    demo: RunningDemo, page: Page, chromium: Browser
) -> None:
    xiaohongshu, ids = demo.url("xiaohongshu"), ids_of(demo)
    open_gucci_through_consent(page, demo)
    container_url = page.url
    launch_url = saved_launch_url(page, demo)
    assert launch_url.startswith(demo.url("gucci") + "/mp/entry?")

    close_port_in_console(chromium, demo, ids, "Trial over: 小红书 access ends today")

    card = wait_for_plain_card(page, xiaohongshu, "Gucci")
    expect(card).to_have_attribute("data-account", "gucci")
    expect(card).to_contain_text("古驰")
    shot(page, "8-plain-card-after-the-close")

    # The container bookmarked before the close: 小红书 explains instead of opening.
    page.goto(container_url)
    notice = page.get_by_test_id("notice")
    expect(notice).to_have_attribute("data-reason", "port_closed")
    expect(page.get_by_test_id("mp-frame")).to_have_count(0)
    shot(page, "9-saved-container-refused")

    # The launch URL issued before the close: the store refuses it and says why.
    response = page.goto(launch_url)
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("entry-closed")).to_be_visible()
    expect(page.get_by_test_id("notice-reason")).to_have_text("port_closed")
    shot(page, "10-saved-launch-url-refused")


def test_4_jd_still_opens_louis_vuitton_after_the_close(
    demo: RunningDemo, page: Page, chromium: Browser
) -> None:
    jd, platform = demo.url("jd"), demo.url("platform")
    close_port_in_console(chromium, demo, ids_of(demo), "Trial over for 小红书")
    wait_for_plain_card(page, demo.url("xiaohongshu"), "Gucci")

    sign_in_to_host(page, jd)
    card = search(page, jd, "Louis Vuitton")
    expect(card).to_have_attribute("data-account", "louis-vuitton")
    card.get_by_test_id("mp-entry").click()
    allow(page, platform, CONSENT_JD)

    store = store_in_container(page, jd)
    expect(page.get_by_test_id("mp-title")).to_have_text("LOUIS VUITTON路易威登官方精品店")
    expect(store.get_by_test_id("product-card").first).to_be_visible()
    shot(page, "11-jd-still-opens-louis-vuitton")


def test_5_revoking_xiaohongshu_brings_the_consent_back(demo: RunningDemo, page: Page) -> None:
    xiaohongshu, platform, ids = demo.url("xiaohongshu"), demo.url("platform"), ids_of(demo)
    open_gucci_through_consent(page, demo)

    page.goto(f"{platform}/account/authorizations")
    grant = page.locator(f'[data-testid=grant][data-client-id="{ids.xiaohongshu}"]')
    expect(grant).to_contain_text("小红书")
    shot(page, "12-my-authorizations")
    grant.get_by_test_id("revoke").click()
    expect(page.get_by_test_id("revoked-notice")).to_be_visible()
    expect(grant).to_have_count(0)

    card = search(page, xiaohongshu, "Gucci")
    card.get_by_test_id("mp-entry").click()
    page.wait_for_url(re.compile(re.escape(platform)))
    expect(page.get_by_test_id("consent-title")).to_have_text(CONSENT_XIAOHONGSHU)
    shot(page, "13-consent-asked-again")
    page.get_by_test_id("consent-allow").click()
    store_in_container(page, xiaohongshu)
