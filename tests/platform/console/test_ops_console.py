"""The operator console: dashboard, matrix (open a port from an empty cell), hosts with
suspend/resume, the audit page with its filters and exports, and webhook resends."""

from __future__ import annotations

import csv
import io
import json
import re

import httpx
from sqlalchemy import text

from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.models import WebhookDelivery, WebhookEvent
from tests.factories import World
from tests.platform.console.helpers import audit_actions, port_of, post_form
from tests.support.html_forms import form_with, forms_of, submit


def _cells(html: str) -> dict[tuple[str, str], str]:
    found = re.findall(
        r'data-testid="cell" data-client-id="([^"]+)" data-appid="([^"]+)" data-state="([^"]+)"',
        html,
    )
    return {(client_id, appid): state for client_id, appid, state in found}


def test_the_matrix_shows_every_pair_and_opens_a_port_from_an_empty_cell(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    page = operator.get("/console/ops/matrix")
    cells = _cells(page.text)
    assert cells[(world.client_id, world.appid)] == "open"
    assert cells[(world.other_client_id, world.appid)] == "none"
    assert len(cells) == 4
    empty = next(
        form
        for form in forms_of(page.text)
        if form.fields.get("client_id") == world.other_client_id
        and form.fields.get("appid") == world.appid
    )
    opened = submit(operator, page, empty, {})
    assert opened.status_code == 303
    port = port_of(runtime, world.other_client_id, world.appid)
    assert port.state == "open"
    assert _cells(operator.get("/console/ops/matrix").text)[
        (world.other_client_id, world.appid)
    ] == ("open")


def test_the_dashboard_counts(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    with runtime.engine.begin() as connection:
        for n in range(3):
            connection.execute(
                text(
                    "INSERT INTO launch_codes (digest, appid, client_id, port_id, user_id, path,"
                    " scene, created_at, expires_at) VALUES (:d, :a, :c, :p, :u, '/pages/index',"
                    " 1069, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"d": f"{n:064d}", "a": world.appid, "c": world.client_id, "p": port.id,
                 "u": world.user_id},
            )  # fmt: skip
    html = operator.get("/console/ops").text
    stat = lambda testid: re.search(  # noqa: E731
        rf'data-testid="{testid}"><div class="n">(?:<a[^>]*>)?(\d+)', html
    ).group(1)  # type: ignore[union-attr]
    assert (stat("stat-open"), stat("stat-pending"), stat("stat-launches")) == ("2", "0", "3")


def test_suspend_and_resume_a_host_with_a_reason(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    url = f"/console/ops/hosts/{world.client_id}"
    refused = post_form(operator, url, "reason", {"category": "security", "reason": ""})
    assert refused.status_code == 400
    suspended = post_form(operator, url, "reason", {"category": "security", "reason": "abuse"})
    assert suspended.status_code == 303
    page = operator.get(url, params={"lang": "en"}).text
    assert 'data-testid="resume"' in page and "abuse" in page
    resumed = post_form(operator, url, "reason", {"category": "other", "reason": "fixed"})
    assert resumed.status_code == 303
    actions = audit_actions(runtime)
    assert ("host.suspended", f"host:{world.client_id}", "olga") in actions
    assert ("host.resumed", f"host:{world.client_id}", "olga") in actions


def test_the_audit_page_filters_and_exports(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    close_url = f"/console/ops/ports/{port.id}/close"
    closed = post_form(operator, close_url, "reason", {"category": "policy", "reason": "audit me"})
    assert closed.status_code == 303
    page = operator.get("/console/ops/audit", params={"lang": "en"})
    assert 'data-testid="verify-ok"' in page.text
    # 5 registrations (brand, 2 mini programs, 2 hosts) + 2 × (requested, opened) + close
    assert page.text.count('data-testid="audit-entry"') == 10
    by_target = operator.get("/console/ops/audit", params={"target": f"port:{port.id}"})
    assert by_target.text.count('data-testid="audit-entry"') == 3
    by_actor = operator.get("/console/ops/audit", params={"actor": "olga"})
    assert by_actor.text.count('data-testid="audit-entry"') == 1
    future = operator.get("/console/ops/audit", params={"since": "2999-01-01T00:00"})
    assert 'data-testid="audit-entry"' not in future.text
    assert operator.get("/console/ops/audit", params={"since": "soon"}).status_code == 400

    filters = form_with(page.text, "actor")  # a GET form: its fields go into the query
    assert filters.method == "get" and filters.buttons["format"] == ["csv", "json"]
    as_csv = operator.get(
        filters.action, params=filters.fields | {"actor": "olga", "format": "csv"}
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [(r["action"], r["reason_text"], r["actor_user"]) for r in rows] == [
        ("port.closed", "audit me", "olga")
    ]
    as_json = operator.get("/console/ops/audit", params={"format": "json"})
    entries = json.loads(as_json.text)
    assert [e["seq"] for e in entries] == list(range(1, 11))
    assert entries[-1]["prev_hash"] == entries[-2]["hash"]


def test_the_audit_page_shows_a_broken_chain(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    with runtime.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET reason_text = 'x' WHERE seq = 2"))
    page = operator.get("/console/ops/audit", params={"lang": "en"}).text
    assert 'data-testid="verify-broken"' in page and "entry #2" in page


def test_webhook_deliveries_are_listed_and_resent(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    with runtime.sessions() as session, session.begin():
        # A delivery that gave up, as the worker leaves it after 24 h of failures.
        session.add(WebhookEvent(id="evt_console_test", type="port.closed", payload={}))
        session.flush()
        failed = WebhookDelivery(
            event_id="evt_console_test", partner_kind="host", partner_id=world.client_id,
            url="http://127.0.0.1:9/hook", state="failed", attempts=9, last_status=500,
        )  # fmt: skip
        session.add(failed)
        session.flush()
        failed_id = failed.id
    page = operator.get("/console/ops/webhooks", params={"lang": "en"})
    assert f'data-delivery-id="{failed_id}"' in page.text and "port.closed" in page.text
    resend = next(f for f in forms_of(page.text) if f.action.endswith(f"/{failed_id}/resend"))
    assert submit(operator, page, resend, {}).status_code == 303
    with runtime.sessions() as session:
        row = session.get(WebhookDelivery, failed_id)
        # Queued again from scratch (the delivery thread may already have made one attempt).
        assert row is not None and row.state == "pending" and row.attempts <= 1
    assert ("webhook.resent", f"webhook_delivery:{failed_id}", "olga") in audit_actions(runtime)
