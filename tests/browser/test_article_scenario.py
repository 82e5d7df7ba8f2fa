"""The article's scenario end to end in Chromium, on the demo's five real servers.

A 小红书 user finds Gucci, taps its store, allows it on 微信 and orders inside 小红书; the
next tap needs no consent; the operator closes 小红书 × Gucci and the card reverts while
京东 × Louis Vuitton keeps working; revoking 小红书 on 微信 brings the consent back.

Each test gets its own demo (the ``demo`` fixture of ``conftest``: the same processes,
databases and seeding as ``miniport demo``) on free ports in a temporary directory, and
takes one step of ``scenario.Walk`` from where that step starts; each step saves a
phone-sized screenshot into ``test-artifacts/``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, BrowserContext

from miniport.demo import RunningDemo
from tests.browser.scenario import Walk

pytestmark = pytest.mark.browser


@pytest.fixture
def walk(demo: RunningDemo, chromium: Browser, phone: BrowserContext) -> Walk:
    return Walk(demo, chromium, phone.new_page())


def test_1_search_tap_consent_and_order_inside_xiaohongshu(walk: Walk) -> None:
    walk.step_1_search_tap_consent_and_order()


def test_2_a_second_tap_skips_the_consent(walk: Walk) -> None:
    walk.open_gucci_through_consent()
    walk.step_2_a_second_tap_skips_the_consent()


def test_3_closing_the_port_reverts_the_card_and_kills_saved_launches(walk: Walk) -> None:
    walk.open_gucci_through_consent()
    walk.step_3_closing_the_port_reverts_the_card_and_kills_saved_launches()


def test_4_jd_still_opens_louis_vuitton_after_the_close(walk: Walk) -> None:
    walk.close_port_in_console("Trial over for 小红书")
    walk.wait_for_plain_card()
    walk.step_4_jd_still_opens_louis_vuitton()


def test_5_revoking_xiaohongshu_brings_the_consent_back(walk: Walk) -> None:
    walk.open_gucci_through_consent()
    walk.step_5_revoking_xiaohongshu_brings_the_consent_back()
