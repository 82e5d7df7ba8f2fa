"""A demo left alone stays usable: the soak test of issue 11.

The five services are started as ``miniport demo`` starts them, with every refresh interval
shortened through the shell's environment (the only ``MINIPORT_*`` settings a demo takes
from it). A person walks part of the scenario, then nobody touches the demo until every
in-memory view of every service is stale twice over, and a new phone walks all five steps.
That second walk signs in to 微信 and exchanges a code again, which is where an idle
platform once hung for 30 s: its keyring reloaded inside the token exchange's write
transaction.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from miniport.demo import RunningDemo
from tests.browser.conftest import demo_on_free_ports, new_phone
from tests.browser.scenario import Walk

pytestmark = pytest.mark.browser

SHORTENED = {
    "MINIPORT_PLATFORM_KEYS_REFRESH_SECONDS": "2",
    "MINIPORT_PLATFORM_REGISTRY_CACHE_SECONDS": "2",
    "MINIPORT_PLATFORM_CARD_CACHE_SECONDS": "2",
    "MINIPORT_PLATFORM_LINK_CACHE_SECONDS": "2",
    "MINIPORT_PLATFORM_TRIAL_EXPIRY_INTERVAL": "1",
    "MINIPORT_PLATFORM_WEBHOOK_POLL_SECONDS": "1",
    "MINIPORT_HOST_CHECK_CACHE_SECONDS": "2",
    "MINIPORT_SHOP_ORDER_REPORT_SECONDS": "2",
}
# The longest interval left: the platform's token caches keep an answer 5 s (not a setting).
LONGEST_INTERVAL = 5.0


@pytest.fixture
def tuned_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningDemo]:
    for name, value in SHORTENED.items():
        monkeypatch.setenv(name, value)
    with demo_on_free_ports(tmp_path / "demo") as running:
        yield running


def test_a_demo_idle_past_every_interval_twice_walks_all_five_steps_again(
    tuned_demo: RunningDemo, chromium: Browser
) -> None:
    # The servers really run with the short intervals, or idling would prove nothing.
    for service in tuned_demo.world.services:
        settings = service.settings().model_dump()
        for name, value in SHORTENED.items():
            setting = name.split("_", 2)[2].lower()
            if setting in settings:
                assert settings[setting] == float(value), (service.key, setting)

    phone = new_phone(chromium)
    try:
        before = Walk(tuned_demo, chromium, phone.new_page(), shots="soak-before")
        before.step_1_search_tap_consent_and_order()
        before.step_2_a_second_tap_skips_the_consent()
        before.step_5_revoking_xiaohongshu_brings_the_consent_back()
        # Taken back again, so that the walk after the pause has to ask for consent and
        # exchange a new code, as a new person would.
        before.revoke_xiaohongshu()
    finally:
        phone.close()

    time.sleep(2 * LONGEST_INTERVAL + 1)  # nobody uses the demo meanwhile

    phone = new_phone(chromium)
    try:
        Walk(tuned_demo, chromium, phone.new_page(), shots="soak-after").walk()
    finally:
        phone.close()
    for child in tuned_demo.children:
        assert child.running, child.service.key
