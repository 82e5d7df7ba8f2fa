"""The article's five steps, as a person walks them in Chromium on the demo's five servers.

A 小红书 user finds Gucci, taps its store, allows it on 微信 and orders inside 小红书 (1);
the next tap needs no consent (2); the operator closes 小红书 × Gucci and the card reverts,
saved launches die (3), while 京东 × Louis Vuitton keeps working (4); revoking 小红书 on 微信
brings the consent back (5).

Each step starts where the one before it in a walk left the phone: ``walk`` goes 1, 2, 5, 3,
4 on one demo (3 closes the port that 1, 2 and 5 need). ``test_article_scenario`` takes each
step on a demo of its own, after ``open_gucci_through_consent`` or a close, and
``test_soak`` walks them again on a demo that idled past every refresh interval. Each step
saves a phone-sized screenshot into ``test-artifacts/``.
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

CONSENT_XIAOHONGSHU = "小红书申请以你的微信身份运行小程序"
CONSENT_JD = "京东申请以你的微信身份运行小程序"
FROM_XIAOHONGSHU = "小红书 · 场景值 1069（从App打开）"
# How long a reverted card may take to show: the close reaches 小红书 as a signed webhook,
# which the platform sends within about a second; the card cache alone would take 30 s.
CARD_REVERT_TIMEOUT = 20.0


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


def store_in_container(page: Page, host_url: str) -> FrameLocator:
    """The container page of the host, with the store loaded in its frame."""
    page.wait_for_url(re.compile(re.escape(host_url) + r"/mp/run\?"))
    expect(page.get_by_test_id("mp-container")).to_be_visible()
    store = page.frame_locator("[data-testid=mp-frame]")
    expect(store.get_by_test_id("product-card").first).to_be_visible()
    return store


def main_frame_urls(page: Page) -> list[str]:
    urls: list[str] = []

    def record(frame: Frame) -> None:
        if frame == page.main_frame:
            urls.append(frame.url)

    page.on("framenavigated", record)
    return urls


@dataclass
class Walk:
    """One person's phone on a running demo; ``shots`` names its screenshots."""

    demo: RunningDemo
    chromium: Browser
    page: Page
    shots: str = "article"

    @property
    def ids(self) -> Ids:
        return ids_of(self.demo)

    def url(self, key: str) -> str:
        return self.demo.url(key)

    def shot(self, name: str, page: Page | None = None) -> None:
        """The visible phone screen, as a person would see it (not the whole scrolled page)."""
        ARTIFACTS.mkdir(exist_ok=True)
        (page or self.page).screenshot(path=str(ARTIFACTS / f"{self.shots}-{name}.png"))

    # --- what a person does --------------------------------------------------------------------

    def allow(self, sentence: str, screenshot: str | None = None) -> None:
        sign_in_to_platform_if_asked(self.page, self.url("platform"))
        expect(self.page.get_by_test_id("consent-title")).to_have_text(sentence)
        if screenshot:
            self.shot(screenshot)
        self.page.get_by_test_id("consent-allow").click()

    def open_gucci_through_consent(self) -> FrameLocator:
        xiaohongshu = self.url("xiaohongshu")
        sign_in_to_host(self.page, xiaohongshu)
        card = search(self.page, xiaohongshu, "Gucci")
        card.get_by_test_id("mp-entry").click()
        self.allow(CONSENT_XIAOHONGSHU)
        return store_in_container(self.page, xiaohongshu)

    def close_port_in_console(self, reason: str) -> None:
        """The operator closes 小红书 × Gucci from the ports matrix of the platform's console."""
        context = self.chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        try:
            console = context.new_page()
            console.set_default_timeout(15_000)
            console.goto(f"{self.url('platform')}/signin?next=/console&lang=en")
            console.fill("input[name=username]", OPERATOR.username)
            console.fill("input[name=password]", OPERATOR.password)
            console.get_by_test_id("signin-submit").click()
            console.wait_for_url("**/console/**")
            console.get_by_test_id("nav-matrix").click()
            ids = self.ids
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
            self.shot("6-operator-closed-the-port", console)
        finally:
            context.close()

    def wait_for_plain_card(self, query: str = "Gucci") -> Locator:
        """Reload 小红书's search until the card has no entry (polling, with a deadline)."""
        deadline = time.monotonic() + CARD_REVERT_TIMEOUT
        while True:
            card = search(self.page, self.url("xiaohongshu"), query)
            if card.get_by_test_id("mp-entry").count() == 0:
                return card
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the card still shows the store {CARD_REVERT_TIMEOUT:.0f} s after the close"
                )
            self.page.wait_for_timeout(250)

    def saved_launch_url(self) -> str:
        """A launch URL the platform issued but nobody opened yet: the store's frame is
        stopped before it loads, as if its link had been copied instead of followed."""
        entry = re.compile(re.escape(self.url("gucci")) + r"/mp/entry\?")
        seen: list[str] = []

        def hold(route: Route) -> None:
            seen.append(route.request.url)
            route.abort()

        self.page.route(entry, hold)
        try:
            self.page.reload()
            expect(self.page.get_by_test_id("mp-container")).to_be_visible()
            deadline = time.monotonic() + 10
            while not seen:
                if time.monotonic() > deadline:
                    pytest.fail("the container never asked for the store's entry URL")
                self.page.wait_for_timeout(50)
        finally:
            self.page.unroute(entry)
        return seen[0]

    def revoke_xiaohongshu(self) -> None:
        """On 微信's page of authorizations, take back what 小红书 was allowed."""
        page = self.page
        page.goto(f"{self.url('platform')}/account/authorizations")
        grant = page.locator(f'[data-testid=grant][data-client-id="{self.ids.xiaohongshu}"]')
        expect(grant).to_contain_text("小红书")
        self.shot("12-my-authorizations")
        grant.get_by_test_id("revoke").click()
        expect(page.get_by_test_id("revoked-notice")).to_be_visible()
        expect(grant).to_have_count(0)

    # --- the five steps -----------------------------------------------------------------------

    def step_1_search_tap_consent_and_order(self) -> None:
        """From a phone that allowed nothing yet."""
        page, xiaohongshu, platform = self.page, self.url("xiaohongshu"), self.url("platform")
        sign_in_to_host(page, xiaohongshu)

        card = search(page, xiaohongshu, "Gucci")
        expect(card).to_have_attribute("data-account", "gucci")  # the brand's card leads
        entry = card.get_by_test_id("mp-entry")
        expect(entry).to_contain_text("GUCCI古驰线上旗舰店")
        expect(entry).to_contain_text("小程序")
        self.shot("1-search-card")

        entry.click()
        sign_in_to_platform_if_asked(page, platform)
        assert page.url.startswith(platform + "/")  # consent is the platform's page
        self.allow(CONSENT_XIAOHONGSHU, screenshot="2-consent")

        store = store_in_container(page, xiaohongshu)
        expect(page.get_by_test_id("mp-title")).to_have_text("GUCCI古驰线上旗舰店")
        self.shot("3-store-in-xiaohongshu")

        store.get_by_test_id("product-card").first.click()
        store.get_by_test_id("add-to-cart").click()
        store.get_by_test_id("cart-checkout").click()
        store.get_by_test_id("fulfilment-pickup").check()
        store.get_by_test_id("place-order").click()
        number = store.get_by_test_id("order-number").inner_text().strip()
        expect(store.get_by_test_id("order-source")).to_have_text(FROM_XIAOHONGSHU)
        expect(store.get_by_test_id("pay-now")).to_be_visible()
        assert number.startswith("GC")
        self.shot("4-order-in-xiaohongshu")

        # The brand's own staff list has the order, with 小红书 as where it came from.
        staff = new_phone(self.chromium)
        try:
            staff_page = staff.new_page()
            staff_page.goto(f"{self.url('gucci')}/staff/signin")
            staff_page.get_by_test_id("staff-password").fill(STAFF_PASSWORD)
            staff_page.get_by_test_id("staff-signin").click()
            order = staff_page.get_by_test_id("staff-order").filter(has_text=number)
            expect(order.get_by_test_id("staff-order-source")).to_have_text(FROM_XIAOHONGSHU)
            self.shot("5-order-in-gucci-staff-list", staff_page)
        finally:
            staff.close()

    def step_2_a_second_tap_skips_the_consent(self) -> None:
        """From the store open in 小红书's container."""
        page, platform = self.page, self.url("platform")
        page.get_by_test_id("mp-close").click()  # ✕ back to the search
        card = page.get_by_test_id("brand-card").first
        visited = main_frame_urls(page)

        card.get_by_test_id("mp-entry").click()

        store_in_container(page, self.url("xiaohongshu"))
        assert not [url for url in visited if url.startswith(platform)], visited
        self.shot("7-second-tap-straight-to-the-store")

    def step_3_closing_the_port_reverts_the_card_and_kills_saved_launches(self) -> None:
        """From the store open in 小红书's container."""
        page = self.page
        container_url = page.url
        launch_url = self.saved_launch_url()
        assert launch_url.startswith(self.url("gucci") + "/mp/entry?")

        self.close_port_in_console("Trial over: 小红书 access ends today")

        card = self.wait_for_plain_card()
        expect(card).to_have_attribute("data-account", "gucci")
        expect(card).to_contain_text("古驰")
        self.shot("8-plain-card-after-the-close")

        # The container bookmarked before the close: 小红书 explains instead of opening.
        page.goto(container_url)
        notice = page.get_by_test_id("notice")
        expect(notice).to_have_attribute("data-reason", "port_closed")
        expect(page.get_by_test_id("mp-frame")).to_have_count(0)
        self.shot("9-saved-container-refused")

        # The launch URL issued before the close: the store refuses it and says why.
        response = page.goto(launch_url)
        assert response is not None and response.status == 403
        expect(page.get_by_test_id("entry-closed")).to_be_visible()
        expect(page.get_by_test_id("notice-reason")).to_have_text("port_closed")
        self.shot("10-saved-launch-url-refused")

    def step_4_jd_still_opens_louis_vuitton(self) -> None:
        """After 小红书 × Gucci closed, from a phone signed in to 微信 or not."""
        page, jd = self.page, self.url("jd")
        sign_in_to_host(page, jd)
        card = search(page, jd, "Louis Vuitton")
        expect(card).to_have_attribute("data-account", "louis-vuitton")
        card.get_by_test_id("mp-entry").click()
        self.allow(CONSENT_JD)

        store = store_in_container(page, jd)
        expect(page.get_by_test_id("mp-title")).to_have_text("LOUIS VUITTON路易威登官方精品店")
        expect(store.get_by_test_id("product-card").first).to_be_visible()
        self.shot("11-jd-still-opens-louis-vuitton")

    def step_5_revoking_xiaohongshu_brings_the_consent_back(self) -> None:
        """From a phone whose 小红书 was allowed to run Gucci's store."""
        page, xiaohongshu, platform = self.page, self.url("xiaohongshu"), self.url("platform")
        self.revoke_xiaohongshu()

        card = search(page, xiaohongshu, "Gucci")
        card.get_by_test_id("mp-entry").click()
        page.wait_for_url(re.compile(re.escape(platform)))
        expect(page.get_by_test_id("consent-title")).to_have_text(CONSENT_XIAOHONGSHU)
        self.shot("13-consent-asked-again")
        page.get_by_test_id("consent-allow").click()
        store_in_container(page, xiaohongshu)

    def walk(self) -> None:
        """All five steps on one demo, each from where the one before left the phone."""
        self.step_1_search_tap_consent_and_order()
        self.step_2_a_second_tap_skips_the_consent()
        self.step_5_revoking_xiaohongshu_brings_the_consent_back()
        self.step_3_closing_the_port_reverts_the_card_and_kills_saved_launches()
        self.step_4_jd_still_opens_louis_vuitton()


def phone_walk(demo: RunningDemo, chromium: Browser, phone: BrowserContext, shots: str) -> Walk:
    return Walk(demo, chromium, phone.new_page(), shots)
