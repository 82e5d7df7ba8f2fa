"""A trial end set in the console expires the port on time (the expiry job sweeps every
second), and the audit page shows the expiry by the system with the chain intact."""

from __future__ import annotations

import datetime as dt
import time

from playwright.sync_api import Page, expect
from sqlalchemy import select

from miniport.common.clock import utcnow
from miniport.platform.audit.chain import verify
from miniport.platform.ports.models import PortTransition
from miniport.platform.runtime import PlatformRuntime
from tests.browser.conftest import shot, sign_in
from tests.factories import World
from tests.platform.console.factories import make_operator
from tests.platform.console.helpers import port_of


def test_trial_end_expires_the_port_on_time(
    console_page: Page, platform_url: str, runtime: PlatformRuntime, console_world: World
) -> None:
    world = console_world
    port = port_of(runtime, world.client_id, world.appid)
    page = console_page
    sign_in(page, platform_url, make_operator(runtime))
    page.goto(f"{platform_url}/console/ops/ports/{port.id}")
    trial_end = (utcnow() + dt.timedelta(seconds=4)).replace(microsecond=0)
    page.fill("[data-testid=trial-ends]", trial_end.strftime("%Y-%m-%dT%H:%M:%S"))
    page.click("[data-testid=save-staging]")
    expect(page.locator("[data-testid=notice]")).to_contain_text("Staging saved")
    assert port_of(runtime, world.client_id, world.appid).trial_ends_at == trial_end

    # The expiry job runs every second: the port must be expired within ~2 s of the end.
    deadline = time.monotonic() + 15
    while port_of(runtime, world.client_id, world.appid).state != "expired":
        assert time.monotonic() < deadline, "the port did not expire"
        time.sleep(0.1)
    with runtime.sessions() as session:
        expired = session.scalar(
            select(PortTransition).where(
                PortTransition.port_id == port.id, PortTransition.to_state == "expired"
            )
        )
        assert expired is not None and expired.actor_kind == "system"
        lag = (expired.at - trial_end).total_seconds()
    assert 0 <= lag < 2.5, lag

    page.reload()
    expect(page.locator("[data-testid=port]")).to_have_attribute("data-state", "expired")
    shot(page, "console-port-expired")
    page.goto(f"{platform_url}/console/ops/audit?target=port:{port.id}")
    entry = page.locator("[data-testid=audit-entry][data-action='port.expired']")
    expect(entry).to_contain_text("the trial window ended")
    expect(page.locator("[data-testid=audit-entry][data-action='port.staged']")).to_have_count(1)
    expect(page.locator("[data-testid=verify-ok]")).to_be_visible()
    with runtime.sessions() as session:
        assert verify(session).ok
