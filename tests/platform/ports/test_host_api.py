"""A host app applies for ports, lists them, reads their history and withdraws requests."""

from __future__ import annotations

import httpx

from miniport.common.clock import utcnow
from miniport.platform.ports import lifecycle
from miniport.platform.ports.states import Actor, ActorKind, PortPolicy
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.ports.conftest import (
    OtherBrand,
    error_of,
    host_token,
    open_port,
    port_id_of,
    request_port,
)


def test_apply_then_list_and_show(
    http: httpx.Client, jd_auth: dict[str, str], world: World
) -> None:
    applied = http.post(
        "/api/ports",
        json={"appid": world.appid, "reason": "our users write notes about this brand"},
        headers=jd_auth,
    )
    assert applied.status_code == 201, applied.text
    port = applied.json()
    assert port["state"] == "requested"
    assert port["appid"] == world.appid
    assert port["client_id"] == world.other_client_id
    assert port["request_reason"] == "our users write notes about this brand"
    assert applied.headers["cache-control"] == "no-store"

    listing = http.get("/api/ports", headers=jd_auth).json()
    assert listing["host_suspended"] is False
    assert [p["id"] for p in listing["ports"]] == [port["id"]]
    last = listing["ports"][0]["last_transition"]
    assert last["to_state"] == "requested"
    assert last["actor"] == {"kind": "host", "id": world.other_client_id}
    assert last["reason"] == "our users write notes about this brand"

    shown = http.get(f"/api/ports/{port['id']}", headers=jd_auth).json()
    assert [(h["from_state"], h["to_state"]) for h in shown["history"]] == [(None, "requested")]


def test_auto_approve_policy_opens_at_once_and_history_shows_both_moves(
    runtime: PlatformRuntime, http: httpx.Client, jd_auth: dict[str, str], world: World
) -> None:
    with runtime.sessions() as session, session.begin():
        lifecycle.set_policy(
            session,
            appid=world.appid,
            policy=PortPolicy.AUTO_APPROVE,
            actor=Actor(ActorKind.BRAND, str(world.brand_id)),
            now=utcnow(),
        )
    port = http.post(
        "/api/ports", json={"appid": world.appid, "reason": "notes"}, headers=jd_auth
    ).json()
    assert port["state"] == "open"
    assert [(h["to_state"], h["actor"]["kind"]) for h in port["history"]] == [
        ("requested", "host"),
        ("open", "system"),
    ]
    # The decision flipped in this worker before the response was sent.
    assert runtime.ports.current().rule(world.other_client_id, world.appid).state == "open"


def test_list_filters_by_state(
    runtime: PlatformRuntime, http: httpx.Client, jd_auth: dict[str, str], world: World
) -> None:
    open_id = open_port(runtime, client_id=world.other_client_id, appid=world.appid)
    requested_id = request_port(runtime, client_id=world.other_client_id, appid=world.second_appid)
    assert [p["id"] for p in http.get("/api/ports", headers=jd_auth).json()["ports"]] == [
        requested_id,
        open_id,
    ]
    only_open = http.get("/api/ports", params={"state": "open"}, headers=jd_auth).json()
    assert [p["id"] for p in only_open["ports"]] == [open_id]
    bad = http.get("/api/ports", params={"state": "ajar"}, headers=jd_auth)
    assert bad.status_code == 400 and error_of(bad) == "invalid_request"


def test_withdraw_a_request(
    runtime: PlatformRuntime, http: httpx.Client, jd_auth: dict[str, str], world: World
) -> None:
    port_id = request_port(runtime, client_id=world.other_client_id, appid=world.appid)
    withdrawn = http.post(
        f"/api/ports/{port_id}/withdraw", json={"reason": "changed our mind"}, headers=jd_auth
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["state"] == "withdrawn"
    again = http.post(f"/api/ports/{port_id}/withdraw", headers=jd_auth)
    assert again.status_code == 409 and error_of(again) == "illegal_transition"
    # Withdrawn, the host may apply again.
    reapplied = http.post(
        "/api/ports", json={"appid": world.appid, "reason": "second try"}, headers=jd_auth
    )
    assert reapplied.status_code == 200 and reapplied.json()["id"] == port_id
    assert reapplied.json()["state"] == "requested"


def test_an_open_port_cannot_be_withdrawn_or_applied_for_again(
    runtime: PlatformRuntime, http: httpx.Client, host_auth: dict[str, str], world: World
) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    withdraw = http.post(f"/api/ports/{port_id}/withdraw", headers=host_auth)
    assert withdraw.status_code == 409 and error_of(withdraw) == "illegal_transition"
    apply = http.post(
        "/api/ports", json={"appid": world.appid, "reason": "again"}, headers=host_auth
    )
    assert apply.status_code == 409 and error_of(apply) == "illegal_transition"


def test_operators_are_not_named_to_partners(
    runtime: PlatformRuntime, http: httpx.Client, host_auth: dict[str, str], world: World
) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    history = http.get(f"/api/ports/{port_id}", headers=host_auth).json()["history"]
    assert history[-1]["actor"] == {"kind": "operator"}


def test_a_host_never_sees_or_touches_another_hosts_port(
    runtime: PlatformRuntime,
    http: httpx.Client,
    host_auth: dict[str, str],
    jd_auth: dict[str, str],
    world: World,
) -> None:
    port_id = request_port(runtime, client_id=world.other_client_id, appid=world.appid)
    listed = http.get("/api/ports", headers=host_auth).json()["ports"]
    assert port_id not in [p["id"] for p in listed]
    shown = http.get(f"/api/ports/{port_id}", headers=host_auth)
    assert shown.status_code == 404 and error_of(shown) == "port_not_found"
    withdraw = http.post(f"/api/ports/{port_id}/withdraw", headers=host_auth)
    assert withdraw.status_code == 404
    with runtime.sessions() as session:
        assert lifecycle.get_port(session, port_id).state == "requested"
    assert http.get(f"/api/ports/{port_id}", headers=jd_auth).status_code == 200


def test_unknown_mini_program_and_port(
    http: httpx.Client, host_auth: dict[str, str], world: World
) -> None:
    unknown = http.post(
        "/api/ports", json={"appid": "wx0000000000000000", "reason": "x"}, headers=host_auth
    )
    assert unknown.status_code == 404 and error_of(unknown) == "port_not_found"
    missing = http.get("/api/ports/999", headers=host_auth)
    assert missing.status_code == 404


BAD_APPLY_BODIES: list[object] = [
    {},
    {"appid": "wx1"},
    {"reason": "x"},
    {"appid": 5, "reason": "x"},
    {"appid": "wx1", "reason": True},
    {"appid": "wx1", "reason": ""},
    {"appid": "wx1", "reason": "   "},
    {"appid": "wx1", "reason": "x" * 201},
    {"appid": "wx1", "reason": "nul\x00byte"},
    {"appid": "wx1", "reason": "x", "extra": 1},
    {"appid": "wx\x00", "reason": "x"},
    [1, 2],
    "text",
    None,
]


def test_apply_refuses_bad_bodies_with_400(http: httpx.Client, host_auth: dict[str, str]) -> None:
    for body in BAD_APPLY_BODIES:
        response = http.post("/api/ports", json=body, headers=host_auth)
        assert response.status_code == 400, (body, response.text)
        assert error_of(response) == "invalid_request"
    not_json = http.post("/api/ports", content=b"{nope", headers=host_auth)
    assert not_json.status_code == 400


def test_bad_path_ids_are_400_not_500(http: httpx.Client, host_auth: dict[str, str]) -> None:
    for path in ("/api/ports/abc", "/api/ports/0", "/api/ports/99999999999999999999"):
        response = http.get(path, headers=host_auth)
        assert response.status_code == 400, (path, response.text)


def test_tokens_are_checked(
    platform_url: str, http: httpx.Client, world: World, runtime: PlatformRuntime
) -> None:
    missing = http.get("/api/ports")
    assert missing.status_code == 401 and error_of(missing) == "invalid_token"
    assert missing.headers["www-authenticate"].startswith("Bearer ")
    wrong = http.get("/api/ports", headers={"Authorization": "Bearer not-a-token"})
    assert wrong.status_code == 401 and error_of(wrong) == "invalid_token"
    assert "Bearer" in wrong.headers["www-authenticate"]
    basic = http.get("/api/ports", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401

    token = host_token(platform_url, world.client_id, world.client_secret)
    revoked = httpx.post(
        f"{platform_url}/revoke", data={"token": token}, auth=(world.client_id, world.client_secret)
    )
    assert revoked.status_code == 200
    after = http.get("/api/ports", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401


def test_user_run_tickets_lack_the_ports_scope(
    runtime: PlatformRuntime, http: httpx.Client, world: World
) -> None:
    from miniport.platform.oauth import token_store

    with runtime.sessions() as session, session.begin():
        ticket = token_store.issue(
            session,
            kind=token_store.ACCESS,
            family="f-test",
            client_id=world.client_id,
            user_id=world.user_id,
            scope="openid miniprogram",
            authorization_details=[],
            auth_time=utcnow(),
            now=utcnow(),
        )
        refresh = token_store.issue(
            session,
            kind=token_store.REFRESH,
            family="f-test",
            client_id=world.client_id,
            user_id=None,
            scope="ports",
            authorization_details=[],
            auth_time=None,
            now=utcnow(),
        )
    forbidden = http.get("/api/ports", headers={"Authorization": f"Bearer {ticket}"})
    assert forbidden.status_code == 403 and error_of(forbidden) == "insufficient_scope"
    assert 'error="insufficient_scope"' in forbidden.headers["www-authenticate"]
    # A refresh token is not a bearer credential, whatever its scope.
    not_bearer = http.get("/api/ports", headers={"Authorization": f"Bearer {refresh}"})
    assert not_bearer.status_code == 401


def test_applying_to_another_brands_mini_program(
    http: httpx.Client, host_auth: dict[str, str], other_brand: OtherBrand
) -> None:
    # An ordinary request: that brand's policy (review, by default) decides.
    applied = http.post(
        "/api/ports", json={"appid": other_brand.appid, "reason": "x"}, headers=host_auth
    )
    assert applied.status_code == 201 and applied.json()["state"] == "requested"
