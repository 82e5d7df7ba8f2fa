"""Closing a port from the console: the impact preview first, then a close that needs a
reason category and a text, refuses stale pages, and lands in the audit log."""

from __future__ import annotations

import datetime as dt
import re
import time

import httpx
from sqlalchemy import update

from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, run_ticket
from tests.platform.console.helpers import audit_actions, csrf_of, port_of


def _stat(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"><div class="n[^"]*"[^>]*>([^<]*)<', html)
    assert match, html[:3000]
    return match.group(1).strip()


def _report_orders(platform_url: str, runtime: PlatformRuntime, world: World, code: str) -> None:
    """The store exchanges the launch code and reports three paid orders of that buyer, who
    first came through the host ten days ago."""
    with httpx.Client(base_url=platform_url) as store:
        secret = {"appid": world.appid, "secret": world.app_secret}
        session = store.get(
            "/sns/jscode2session",
            params=secret | {"js_code": code, "grant_type": "authorization_code"},
        ).json()
        with runtime.sessions() as db, db.begin():
            db.execute(
                update(LaunchCode)
                .where(LaunchCode.openid == session["openid"])
                .values(used_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10))
            )
        token = store.get(
            "/cgi-bin/token", params=secret | {"grant_type": "client_credential"}
        ).json()["access_token"]
        now = int(time.time())
        for order_id, paid_time in (
            ("G-1", now - 60),
            ("G-2", now - 6 * 86400),
            ("G-3", now - 8 * 86400),
        ):
            answer = store.post(
                "/wxa/report_order",
                params={"access_token": token},
                json={
                    "openid": session["openid"],
                    "order_id": order_id,
                    "amount": 520_000,
                    "paid_time": paid_time,
                },
            ).json()
            assert answer["errcode"] == 0 and answer["host_client_id"] == world.client_id, answer


def test_the_preview_counts_what_the_close_will_hit(
    platform_url: str, runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    ticket = run_ticket(platform_url, world)  # the user consents; a run ticket is alive
    launched = httpx.post(
        f"{platform_url}/wxa/launch",
        params={"access_token": ticket},
        json={"appid": world.appid, "path": "/pages/index", "user_key": "u-1"},
    )
    assert launched.status_code == 200 and "launch_url" in launched.json(), launched.text
    _report_orders(platform_url, runtime, world, launched.json()["code"])
    port = port_of(runtime, world.client_id, world.appid)
    page = operator.get(f"/console/ops/ports/{port.id}/close", params={"lang": "en"})
    assert page.status_code == 200
    assert _stat(page.text, "impact-tickets") == "1"
    assert _stat(page.text, "impact-launches") == "1"
    assert _stat(page.text, "impact-users") == "1"
    # Two of the three reported orders were paid in the last 7 days.
    assert _stat(page.text, "impact-orders") == "2"
    # The other mini program's port is untouched by this preview.
    second = port_of(runtime, world.client_id, world.second_appid)
    other = operator.get(f"/console/ops/ports/{second.id}/close")
    assert _stat(other.text, "impact-launches") == "0"


def test_a_close_needs_a_category_and_a_text(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    url = f"/console/ops/ports/{port.id}/close"
    token = csrf_of(operator, url)
    base = {"csrf_token": token, "version": str(port.version)}
    for missing in (
        {"category": "", "reason": "policy change"},
        {"category": "security", "reason": "   "},
        {"category": "request", "reason": "not a close category"},
    ):
        refused = operator.post(url, data=base | missing)
        assert refused.status_code == 400, refused.text[:500]
    assert port_of(runtime, world.client_id, world.appid).state == "open"

    closed = operator.post(url, data=base | {"category": "security", "reason": "leaked secret"})
    assert closed.status_code == 303
    assert closed.headers["location"] == f"/console/ops/ports/{port.id}?done=closed"
    after = operator.get(closed.headers["location"], params={"lang": "en"})
    assert 'data-state="closed"' in after.text and "leaked secret" in after.text
    assert ("port.closed", f"port:{port.id}", "olga") in audit_actions(runtime)
    # The dashboard lists it among the recent closes.
    assert "leaked secret" in operator.get("/console/ops").text


def test_a_close_from_a_stale_page_is_refused(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    url = f"/console/ops/ports/{port.id}/close"
    token = csrf_of(operator, url)
    stale = operator.post(
        url,
        data={"csrf_token": token, "version": str(port.version - 1), "category": "policy",
              "reason": "from an old tab"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert "端口已发生变化" in stale.text  # zh-CN is the default language
    assert port_of(runtime, world.client_id, world.appid).state == "open"


def test_a_brand_closes_its_own_port(
    runtime: PlatformRuntime, world: World, brand_client: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    base = f"/console/brand/{world.brand_id}"
    page = brand_client.get(f"{base}/ports/{port.id}/close")
    assert page.status_code == 200 and 'data-testid="impact"' in page.text
    closed = brand_client.post(
        f"{base}/ports/{port.id}/close",
        data={"csrf_token": csrf_of(brand_client, base), "version": str(port.version),
              "category": "partner_request", "reason": "pausing the campaign"},
    )  # fmt: skip
    assert closed.status_code == 303
    assert port_of(runtime, world.client_id, world.appid).state == "closed"
    assert ("port.closed", f"port:{port.id}", "bella") in audit_actions(runtime)
