"""The brand console: approve or reject requests, edit its mini programs, set the policy,
rotate the secret (shown once) — each change audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from miniport.common.clock import utcnow
from miniport.platform.audit.models import AuditEntry
from miniport.platform.ports.lifecycle import apply_for_port
from miniport.platform.ports.states import Actor, ActorKind
from miniport.platform.registry.lookup import authenticate_mini_program, find_mini_program
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.console.helpers import audit_actions, csrf_of, port_of, post_form
from tests.support.html_forms import forms_of, submit


def _request(runtime: PlatformRuntime, world: World, appid: str) -> int:
    with runtime.sessions() as session, session.begin():
        port = apply_for_port(
            session, client_id=world.other_client_id, appid=appid, reason_text="notes users",
            actor=Actor(ActorKind.HOST, world.other_client_id), now=utcnow(),
        )  # fmt: skip
        return port.id


def test_a_brand_approves_and_rejects_requests_from_its_queue(
    runtime: PlatformRuntime, world: World, brand_client: httpx.Client
) -> None:
    first = _request(runtime, world, world.appid)
    second = _request(runtime, world, world.second_appid)
    queue_url = f"/console/brand/{world.brand_id}/requests"
    queue = brand_client.get(queue_url)
    assert queue.text.count('data-testid="request"') == 2 and "notes users" in queue.text
    approve = next(f for f in forms_of(queue.text) if f.action.endswith(f"/{first}/approve"))
    approved = submit(brand_client, queue, approve, {})
    assert approved.status_code == 303
    assert approved.headers["location"] == f"{queue_url}?done=approved"
    assert port_of(runtime, world.other_client_id, world.appid).state == "open"

    queue = brand_client.get(queue_url)
    reject = next(f for f in forms_of(queue.text) if f.action.endswith(f"/{second}/reject"))
    assert submit(brand_client, queue, reject, {"message": ""}).status_code == 400
    rejected = submit(brand_client, queue, reject, {"message": "not in this market yet"})
    assert rejected.status_code == 303
    assert port_of(runtime, world.other_client_id, world.second_appid).state == "rejected"
    actions = audit_actions(runtime)
    assert ("port.opened", f"port:{first}", "bella") in actions
    assert ("port.rejected", f"port:{second}", "bella") in actions


def test_a_brand_edits_its_mini_program_and_policy(
    runtime: PlatformRuntime, world: World, brand_client: httpx.Client
) -> None:
    url = f"/console/brand/{world.brand_id}/mp/{world.appid}"
    saved = post_form(
        brand_client,
        url,
        "entry_url",
        {
            "name_en": "GUCCI Store",
            "icon_url": "https://cdn.example/gucci.png",
            "entry_url": "http://127.0.0.1:9/mp/v2/entry",
            "allowed_paths": "/pages/index\n/pages/product\n/pages/boutiques",
        },
    )
    assert saved.status_code == 303, saved.text[:500]
    with runtime.sessions() as session:
        mp = find_mini_program(session, world.appid)
        assert mp is not None
        assert (mp.name_en, mp.entry_url) == ("GUCCI Store", "http://127.0.0.1:9/mp/v2/entry")
        assert mp.allowed_paths == ["/pages/index", "/pages/product", "/pages/boutiques"]
    refused = post_form(brand_client, url, "entry_url", {"entry_url": "javascript:alert(1)"})
    assert refused.status_code == 400

    policy = post_form(brand_client, url, "policy", {"policy": "auto_approve"})
    assert policy.status_code == 303
    auto = _request(runtime, world, world.appid)
    assert port_of(runtime, world.other_client_id, world.appid).state == "open"
    actions = audit_actions(runtime)
    assert ("mini_program.updated", f"mini_program:{world.appid}", "bella") in actions
    assert ("mini_program.policy_changed", f"mini_program:{world.appid}", "bella") in actions
    assert ("port.opened", f"port:{auto}", None) in actions  # opened by the policy itself


def test_rotating_the_secret_shows_it_once_and_the_old_one_stops(
    runtime: PlatformRuntime, world: World, brand_client: httpx.Client
) -> None:
    url = f"/console/brand/{world.brand_id}/mp/{world.appid}"
    shown = brand_client.post(f"{url}/rotate", data={"csrf_token": csrf_of(brand_client, url)})
    assert shown.status_code == 200
    start = shown.text.index('data-testid="secret">') + len('data-testid="secret">')
    secret = shown.text[start : shown.text.index("<", start)]
    assert len(secret) >= 40
    assert secret not in brand_client.get(url).text
    with runtime.sessions() as session:
        assert authenticate_mini_program(session, world.appid, secret) is not None
        assert authenticate_mini_program(session, world.appid, world.app_secret) is None
    assert ("mini_program.secret_rotated", f"mini_program:{world.appid}", "bella") in (
        audit_actions(runtime)
    )
    with runtime.sessions() as session:
        logged = (
            session.scalars(select(AuditEntry.after)).all()
            + session.scalars(select(AuditEntry.before)).all()
        )
        assert all(secret not in str(value) for value in logged)
