"""A brand approves a host's request in its console, and the host app's own search page
then shows the brand's card with the mini-program entry; the audit log has the approval.

Runs on the demo's five real servers. 小红书 applies for Louis Vuitton's store through the
platform's API (as its backend would), so the port starts as ``requested``; 小红书's Louis
Vuitton account links that store, so only the platform's decision stands between the card
and its entry. Nothing is restarted: the card changes because the platform's signed
webhook clears 小红书's cache of port decisions.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from sqlalchemy import select

from miniport.cli.context import PlatformDatabase
from miniport.common.db import make_engine, make_sessionmaker, unit_of_work
from miniport.demo import RunningDemo
from miniport.demo.world import OPERATOR
from miniport.host.brand_accounts.accounts import find_account, set_mp_link
from miniport.host.settings import HostSettings
from miniport.platform.accounts.models import StaffMembership, StaffRole
from miniport.platform.accounts.users import create_user
from miniport.platform.audit.chain import verify
from miniport.platform.ports.lifecycle import find_port
from miniport.platform.registry.models import Brand
from miniport.platform.settings import PlatformSettings
from miniport.sdk import HostClient
from tests.browser.conftest import search, shot, sign_in, sign_in_to_host
from tests.platform.console.factories import STAFF_PASSWORD, StaffUser

HOST, BRAND = "xiaohongshu", "louis-vuitton"
REASON = "Our readers want Louis Vuitton's store"
STORE_NAME = "LOUIS VUITTON路易威登官方精品店"
# Well under the host's 30 s check cache: only the webhook can show the entry this soon.
ENTRY_TIMEOUT = 20.0


@contextmanager
def platform_database(demo: RunningDemo) -> Iterator[PlatformDatabase]:
    settings = demo.world.service("platform").settings()
    assert isinstance(settings, PlatformSettings)
    engine = make_engine(settings.database_url)
    try:
        yield PlatformDatabase(settings=settings, sessions=make_sessionmaker(engine))
    finally:
        engine.dispose()


def host_settings(demo: RunningDemo) -> HostSettings:
    settings = demo.world.service(HOST).settings()
    assert isinstance(settings, HostSettings)
    return settings


def link_card_to_store(demo: RunningDemo, appid: str) -> None:
    """小红书's own staff link its Louis Vuitton account to the store (the host has no page
    for this, so straight into its database, as its seeding does)."""
    engine = make_engine(host_settings(demo).database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            account = find_account(session, BRAND)
            assert account is not None
            set_mp_link(session, account, appid)
    finally:
        engine.dispose()


def add_brand_member(demo: RunningDemo, username: str) -> StaffUser:
    """A Louis Vuitton employee with access to the brand's console."""
    with platform_database(demo) as db, unit_of_work(db.sessions) as session:
        brand_id = session.scalar(select(Brand.id).where(Brand.slug == BRAND))
        assert brand_id is not None
        user = create_user(
            session,
            db.password_hasher(),
            username=username,
            display_name=username.title(),
            password=STAFF_PASSWORD,
        )
        session.add(StaffMembership(user_id=user.id, role=StaffRole.BRAND.value, brand_id=brand_id))
        return StaffUser(user.username, user.id)


def port_state(demo: RunningDemo, client_id: str, appid: str) -> str:
    with platform_database(demo) as db, db.sessions() as session:
        port = find_port(session, client_id=client_id, appid=appid)
        assert port is not None
        return port.state


def wait_for_entry(page: Page, host_url: str, query: str) -> Locator:
    """Search again until the card carries the entry (polling, with a deadline)."""
    deadline = time.monotonic() + ENTRY_TIMEOUT
    while True:
        card = search(page, host_url, query)
        if card.get_by_test_id("mp-entry").count():
            return card
        if time.monotonic() > deadline:
            pytest.fail(f"the card still has no entry {ENTRY_TIMEOUT:.0f} s after the approval")
        page.wait_for_timeout(250)


def test_brand_approves_a_request_and_the_hosts_card_shows_the_entry(
    demo: RunningDemo, phone: BrowserContext, console_page: Page
) -> None:
    platform, host_url = demo.url("platform"), demo.url(HOST)
    host = demo.world.credentials.host(HOST)
    appid = demo.world.credentials.mini_program(BRAND).appid
    assert host_settings(demo).check_cache_seconds > ENTRY_TIMEOUT
    link_card_to_store(demo, appid)
    bella = add_brand_member(demo, "bella")
    with HostClient(platform, client_id=host.client_id, client_secret=host.client_secret) as api:
        assert api.apply_port(appid=appid, reason=REASON)["state"] == "requested"

    # Before the approval: 小红书 shows Louis Vuitton's plain card. Its answer is now in
    # 小红书's check cache, which the approval has to clear.
    reader = phone.new_page()
    sign_in_to_host(reader, host_url)
    card = search(reader, host_url, "Louis Vuitton")
    expect(card).to_have_attribute("data-account", BRAND)
    expect(card).to_contain_text("路易威登")
    expect(card.get_by_test_id("mp-entry")).to_have_count(0)
    shot(reader, "host-card-before-approval")

    page = console_page
    sign_in(page, platform, bella, lang="zh_CN")
    page.click("[data-testid=pending-link]")
    request = page.locator("[data-testid=request]")
    expect(request).to_contain_text(REASON)
    expect(request).to_contain_text("小红书")
    expect(page.locator("h1")).to_have_text("申请队列")
    shot(page, "console-brand-requests-zh")
    request.locator("[data-testid=approve]").click()
    expect(page.locator("[data-testid=notice]")).to_contain_text("申请已批准")
    expect(page.locator("[data-testid=no-requests]")).to_be_visible()
    assert port_state(demo, host.client_id, appid) == "open"

    # 小红书's own page, reloaded by the reader: the card now carries the store's entry.
    card = wait_for_entry(reader, host_url, "Louis Vuitton")
    expect(card).to_have_attribute("data-account", BRAND)
    entry = card.get_by_test_id("mp-entry")
    expect(entry).to_be_visible()
    expect(entry).to_have_attribute("data-appid", appid)
    expect(entry).to_contain_text(STORE_NAME)
    expect(entry).to_contain_text("小程序")
    shot(reader, "host-card-after-approval")

    # The operator's audit page shows who approved it; the chain verifies.
    page.context.clear_cookies()
    sign_in(page, platform, OPERATOR)
    page.goto(f"{platform}/console/ops/audit?actor=bella")
    opened = page.locator("[data-testid=audit-entry][data-action='port.opened']")
    expect(opened).to_have_count(1)
    expect(page.locator("[data-testid=verify-ok]")).to_be_visible()
    with platform_database(demo) as db, db.sessions() as session:
        assert verify(session).ok
