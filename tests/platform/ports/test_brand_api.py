"""A brand answers port requests and governs its mini program's ports — and nobody else's."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import select

from miniport.common.clock import utcnow
from miniport.platform.audit.models import AuditEntry
from miniport.platform.ports import lifecycle
from miniport.platform.ports.decision import decide
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.ports.conftest import (
    OtherBrand,
    error_of,
    mp_token,
    port_id_of,
    request_port,
)


def _state(runtime: PlatformRuntime, port_id: int) -> str:
    with runtime.sessions() as session:
        return lifecycle.get_port(session, port_id).state


def test_list_requests_and_approve_one(
    runtime: PlatformRuntime, http: httpx.Client, world: World
) -> None:
    port_id = request_port(runtime, client_id=world.other_client_id, appid=world.appid)
    token = {"access_token": mp_token(runtime, world.appid)}
    listing = http.get("/api/brand/ports", params=token).json()
    assert listing["appid"] == world.appid and listing["policy"] == "review"
    assert {p["state"] for p in listing["ports"]} == {"open", "requested"}
    requested = http.get("/api/brand/ports", params={**token, "state": "requested"}).json()
    [request] = requested["ports"]
    assert request["id"] == port_id
    assert request["host"] == {"name_zh": "京东", "name_en": "JD"}
    assert request["request_reason"] == "please"

    approved = http.post(
        f"/api/brand/ports/{port_id}/approve", params=token, json={"reason": "welcome"}
    )
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["state"] == "open"
    assert body["history"][-1]["actor"] == {"kind": "brand", "id": str(world.brand_id)}
    assert body["history"][-1]["reason"] == "welcome"
    decision = decide(
        runtime.ports.current(),
        client_id=world.other_client_id,
        appid=world.appid,
        user_key="u1",
        now=utcnow(),
    )
    assert decision.open


def test_approve_without_a_body(runtime: PlatformRuntime, http: httpx.Client, world: World) -> None:
    port_id = request_port(runtime, client_id=world.other_client_id, appid=world.appid)
    token = {"access_token": mp_token(runtime, world.appid)}
    approved = http.post(f"/api/brand/ports/{port_id}/approve", params=token)
    assert approved.status_code == 200 and approved.json()["state"] == "open"


def test_reject_needs_a_message(runtime: PlatformRuntime, http: httpx.Client, world: World) -> None:
    port_id = request_port(runtime, client_id=world.other_client_id, appid=world.appid)
    token = {"access_token": mp_token(runtime, world.appid)}
    missing = http.post(f"/api/brand/ports/{port_id}/reject", params=token, json={})
    assert missing.status_code == 400 and error_of(missing) == "invalid_request"
    rejected = http.post(
        f"/api/brand/ports/{port_id}/reject",
        params=token,
        json={"message": "we only partner with shopping apps"},
    )
    assert rejected.status_code == 200
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["history"][-1]["reason"] == "we only partner with shopping apps"


def test_close_an_open_port_flips_the_decision_before_answering(
    runtime: PlatformRuntime, http: httpx.Client, world: World
) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    token = {"access_token": mp_token(runtime, world.appid)}
    no_reason = http.post(
        f"/api/brand/ports/{port_id}/close", params=token, json={"reason_category": "policy"}
    )
    assert no_reason.status_code == 400
    bad_category = http.post(
        f"/api/brand/ports/{port_id}/close",
        params=token,
        json={"reason_category": "trial_ended", "reason": "x"},
    )
    assert bad_category.status_code == 400
    closed = http.post(
        f"/api/brand/ports/{port_id}/close",
        params=token,
        json={"reason_category": "security", "reason": "counterfeit listings"},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"
    decision = decide(
        runtime.ports.current(),
        client_id=world.client_id,
        appid=world.appid,
        user_key="u1",
        now=utcnow(),
    )
    assert (decision.open, decision.reason) == (False, "port_closed")
    # Only an operator reopens a closed port: the brand may not.
    again = http.post(f"/api/brand/ports/{port_id}/approve", params=token)
    assert again.status_code == 403 and error_of(again) == "not_allowed"


def _policy_entries(runtime: PlatformRuntime, appid: str) -> list[tuple[str, str, str]]:
    with runtime.sessions() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == "mini_program.policy_changed",
                AuditEntry.target_id == appid,
            )
            .order_by(AuditEntry.seq)
        )
        return [(e.actor_kind, e.before["policy"], e.after["policy"]) for e in entries]


def test_policy(runtime: PlatformRuntime, http: httpx.Client, world: World) -> None:
    token = {"access_token": mp_token(runtime, world.appid)}
    set_policy = http.post("/api/brand/policy", params=token, json={"policy": "auto_refuse"})
    assert set_policy.status_code == 200
    assert set_policy.json() == {"appid": world.appid, "policy": "auto_refuse"}
    assert http.get("/api/brand/ports", params=token).json()["policy"] == "auto_refuse"
    # Audited as the console's change is, by the brand: the entry is written by the domain.
    assert _policy_entries(runtime, world.appid) == [("brand", "review", "auto_refuse")]
    again = http.post("/api/brand/policy", params=token, json={"policy": "auto_refuse"})
    assert again.status_code == 200
    assert len(_policy_entries(runtime, world.appid)) == 1  # no change, no entry
    port_id = request_port(runtime, client_id=world.other_client_id, appid=world.appid)
    assert _state(runtime, port_id) == "rejected"
    bad = http.post("/api/brand/policy", params=token, json={"policy": "maybe"})
    assert bad.status_code == 400


def test_staging(runtime: PlatformRuntime, http: httpx.Client, world: World) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    token = {"access_token": mp_token(runtime, world.appid)}
    version = http.get(f"/api/brand/ports/{port_id}", params=token).json()["version"]
    trial_end = (utcnow() + dt.timedelta(days=7)).replace(microsecond=0)
    staged = http.post(
        f"/api/brand/ports/{port_id}/staging",
        params=token,
        json={
            "rollout_percent": 0,
            "allow_list": ["tester-1", "tester-2"],
            "trial_ends_at": trial_end.isoformat(),
            "daily_launch_quota": 1000,
            "expected_version": version,
        },
    )
    assert staged.status_code == 200, staged.text
    assert staged.json()["staging"] == {
        "rollout_percent": 0,
        "allow_list": ["tester-1", "tester-2"],
        "trial_ends_at": trial_end.isoformat(),
        "daily_launch_quota": 1000,
    }
    snapshot = runtime.ports.current()
    now = utcnow()
    tester = decide(
        snapshot, client_id=world.client_id, appid=world.appid, user_key="tester-1", now=now
    )
    stranger = decide(snapshot, client_id=world.client_id, appid=world.appid, user_key="x", now=now)
    assert tester.open and (stranger.open, stranger.reason) == (False, "not_in_rollout")

    stale = http.post(
        f"/api/brand/ports/{port_id}/staging",
        params=token,
        json={
            "rollout_percent": 100,
            "allow_list": [],
            "trial_ends_at": None,
            "daily_launch_quota": None,
            "expected_version": version,
        },
    )
    assert stale.status_code == 409 and error_of(stale) == "stale_version"


def test_staging_refuses_bad_values(
    runtime: PlatformRuntime, http: httpx.Client, world: World
) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    token = {"access_token": mp_token(runtime, world.appid)}
    base = {
        "rollout_percent": 50,
        "allow_list": [],
        "trial_ends_at": None,
        "daily_launch_quota": None,
    }
    past = (utcnow() - dt.timedelta(hours=1)).isoformat()
    for change in (
        {"rollout_percent": 101},
        {"rollout_percent": -1},
        {"rollout_percent": True},
        {"rollout_percent": "50"},
        {"allow_list": ["x" * 129]},
        {"allow_list": "tester"},
        {"trial_ends_at": "2030-01-01T00:00:00"},  # no time zone
        {"trial_ends_at": "9999-12-31T23:59:59-05:00"},  # no UTC equivalent
        {"allow_list": ["nul\x00"]},
        {"daily_launch_quota": -5},
        {"daily_launch_quota": 2**40},
    ):
        response = http.post(
            f"/api/brand/ports/{port_id}/staging", params=token, json={**base, **change}
        )
        assert response.status_code == 400, (change, response.text)
    in_the_past = http.post(
        f"/api/brand/ports/{port_id}/staging", params=token, json={**base, "trial_ends_at": past}
    )
    assert in_the_past.status_code == 400 and error_of(in_the_past) == "invalid_staging"
    missing_fields = http.post(
        f"/api/brand/ports/{port_id}/staging", params=token, json={"rollout_percent": 5}
    )
    assert missing_fields.status_code == 400


def test_a_brand_never_sees_or_touches_another_brands_ports(
    runtime: PlatformRuntime, http: httpx.Client, world: World, other_brand: OtherBrand
) -> None:
    gucci_port = port_id_of(runtime, world.client_id, world.appid)
    gucci_request = request_port(runtime, client_id=world.other_client_id, appid=world.appid)
    prada = {"access_token": mp_token(runtime, other_brand.appid)}

    listing = http.get("/api/brand/ports", params=prada).json()
    assert listing == {"appid": other_brand.appid, "policy": "review", "ports": []}
    attempts = [
        ("get", f"/api/brand/ports/{gucci_port}", None),
        ("post", f"/api/brand/ports/{gucci_request}/approve", {}),
        ("post", f"/api/brand/ports/{gucci_request}/reject", {"message": "no"}),
        (
            "post",
            f"/api/brand/ports/{gucci_port}/close",
            {"reason_category": "other", "reason": "x"},
        ),
        (
            "post",
            f"/api/brand/ports/{gucci_port}/staging",
            {
                "rollout_percent": 0,
                "allow_list": [],
                "trial_ends_at": None,
                "daily_launch_quota": None,
            },
        ),
    ]
    for method, path, body in attempts:
        response = http.request(method, path, params=prada, json=body)
        assert response.status_code == 404, (path, response.text)
        assert error_of(response) == "port_not_found"
    assert _state(runtime, gucci_port) == "open"
    assert _state(runtime, gucci_request) == "requested"


def test_a_mini_programs_token_does_not_speak_for_its_sibling(
    runtime: PlatformRuntime, http: httpx.Client, world: World
) -> None:
    # Same brand, other mini program: its token governs its own ports only.
    beauty_port = port_id_of(runtime, world.client_id, world.second_appid)
    flagship = {"access_token": mp_token(runtime, world.appid)}
    close = http.post(
        f"/api/brand/ports/{beauty_port}/close",
        params=flagship,
        json={"reason_category": "other", "reason": "x"},
    )
    assert close.status_code == 404
    listed = http.get("/api/brand/ports", params=flagship).json()["ports"]
    assert beauty_port not in [p["id"] for p in listed]
    assert _state(runtime, beauty_port) == "open"


def test_brand_tokens_are_checked(http: httpx.Client, world: World) -> None:
    missing = http.get("/api/brand/ports")
    assert missing.status_code == 401 and error_of(missing) == "invalid_token"
    assert missing.headers["www-authenticate"].startswith("Bearer ")
    wrong = http.post(
        "/api/brand/policy", params={"access_token": "nope"}, json={"policy": "review"}
    )
    assert wrong.status_code == 401 and error_of(wrong) == "invalid_token"
