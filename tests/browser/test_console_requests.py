"""A brand approves a host's request in its console; at once the platform's ``check`` (what
the host's card asks) answers open for that mini program, and the audit log has it."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from miniport.common.clock import utcnow
from miniport.platform.audit.chain import verify
from miniport.platform.ports.lifecycle import apply_for_port
from miniport.platform.ports.states import Actor, ActorKind
from miniport.platform.runtime import PlatformRuntime
from tests.browser.conftest import shot, sign_in
from tests.factories import World
from tests.platform.console.factories import make_brand_member, make_operator
from tests.platform.console.helpers import port_of


def _card(platform_url: str, world: World) -> str:
    """The reason ``check`` gives the second host for the brand's mini program."""
    token = httpx.post(
        f"{platform_url}/token",
        data={"grant_type": "client_credentials", "scope": "ports"},
        auth=(world.other_client_id, world.other_client_secret),
    ).json()["access_token"]
    answer = httpx.post(
        f"{platform_url}/api/ports/check",
        json={"user_key": "reader-1", "items": [world.appid]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text
    reason: str = answer.json()["results"][0]["reason"]
    return reason


def test_brand_approves_a_request(
    console_page: Page, platform_url: str, runtime: PlatformRuntime, console_world: World
) -> None:
    world = console_world
    with runtime.sessions() as session, session.begin():
        apply_for_port(
            session, client_id=world.other_client_id, appid=world.appid,
            reason_text="Our shoppers want the flagship store",
            actor=Actor(ActorKind.HOST, world.other_client_id), now=utcnow(),
        )  # fmt: skip
    assert _card(platform_url, world) != "open"

    page = console_page
    sign_in(page, platform_url, make_brand_member(runtime, world.brand_id), lang="zh_CN")
    page.click("[data-testid=pending-link]")
    request = page.locator("[data-testid=request]")
    expect(request).to_contain_text("Our shoppers want the flagship store")
    expect(page.locator("h1")).to_have_text("申请队列")
    shot(page, "console-brand-requests-zh")
    request.locator("[data-testid=approve]").click()
    expect(page.locator("[data-testid=notice]")).to_contain_text("申请已批准")
    expect(page.locator("[data-testid=no-requests]")).to_be_visible()
    assert port_of(runtime, world.other_client_id, world.appid).state == "open"
    assert _card(platform_url, world) == "open"

    # The operator's audit page shows who approved it; the chain verifies.
    page.context.clear_cookies()
    sign_in(page, platform_url, make_operator(runtime))
    page.goto(f"{platform_url}/console/ops/audit?actor=bella")
    opened = page.locator("[data-testid=audit-entry][data-action='port.opened']")
    expect(opened).to_have_count(1)
    expect(page.locator("[data-testid=verify-ok]")).to_be_visible()
    with runtime.sessions() as session:
        assert verify(session).ok
