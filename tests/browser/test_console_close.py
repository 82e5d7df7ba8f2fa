"""An operator closes a port from the ports matrix after reading the impact preview; the
audit page shows the close and the chain verifies."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from miniport.platform.audit.chain import verify
from miniport.platform.runtime import PlatformRuntime
from tests.browser.conftest import shot, sign_in
from tests.factories import World, run_ticket
from tests.platform.console.factories import make_operator
from tests.platform.console.helpers import port_of


def test_operator_closes_from_the_matrix_after_the_preview(
    console_page: Page, platform_url: str, runtime: PlatformRuntime, console_world: World
) -> None:
    world = console_world
    run_ticket(platform_url, world)  # a user consented and holds a live run ticket
    page = console_page
    sign_in(page, platform_url, make_operator(runtime))
    page.click("[data-testid=nav-matrix]")
    cell = page.locator(
        f'[data-testid=cell][data-client-id="{world.client_id}"][data-appid="{world.appid}"]'
    )
    expect(cell).to_have_attribute("data-state", "open")
    shot(page, "console-matrix-before")
    cell.locator("[data-testid=cell-link]").click()
    page.click("[data-testid=close-port]")

    expect(page.locator("[data-testid=impact-tickets] .n")).to_have_text("1")
    expect(page.locator("[data-testid=impact-users] .n")).to_have_text("1")
    expect(page.locator("[data-testid=impact-orders] .n")).to_have_text("0")
    shot(page, "console-close-preview")
    # The browser itself refuses a close without a category and a reason.
    page.click("[data-testid=confirm-close]")
    expect(page.locator("[data-testid=impact]")).to_be_visible()
    assert port_of(runtime, world.client_id, world.appid).state == "open"

    page.select_option("[data-testid=category]", "security")
    page.fill("[data-testid=reason]", "Suspicious traffic from this partner")
    page.click("[data-testid=confirm-close]")
    expect(page.locator("[data-testid=notice]")).to_contain_text("The port is closed")
    expect(page.locator("[data-testid=port]")).to_have_attribute("data-state", "closed")
    assert port_of(runtime, world.client_id, world.appid).state == "closed"

    page.click("[data-testid=nav-matrix]")
    expect(cell).to_have_attribute("data-state", "closed")
    # The other mini program's port of the same host keeps working.
    other = page.locator(
        f'[data-testid=cell][data-client-id="{world.client_id}"][data-appid="{world.second_appid}"]'
    )
    expect(other).to_have_attribute("data-state", "open")
    shot(page, "console-matrix-after")

    page.click("[data-testid=nav-audit]")
    expect(page.locator("[data-testid=verify-ok]")).to_be_visible()
    closed = page.locator("[data-testid=audit-entry][data-action='port.closed']")
    expect(closed).to_contain_text("Suspicious traffic from this partner")
    expect(closed).to_contain_text("@olga")
    shot(page, "console-audit")
    with runtime.sessions() as session:
        assert verify(session).ok
