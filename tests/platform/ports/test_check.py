"""A host checks which brand cards it may show a user: reasons, cards, URL links, ETags."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update

from miniport.common.clock import utcnow
from miniport.platform.miniprogram_api.models import UrlLink
from miniport.platform.ports import lifecycle
from miniport.platform.ports.journal import note_port_change
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.models import Port
from miniport.platform.ports.states import Actor, ActorKind, PortState, ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.web.app import create_app
from tests.factories import World
from tests.platform.ports.conftest import (
    OPERATOR,
    OtherBrand,
    error_of,
    port_id_of,
    request_port,
)


def check(
    http: httpx.Client, auth: dict[str, str], items: list[str], user_key: str = "user-1"
) -> list[dict[str, Any]]:
    response = http.post(
        "/api/ports/check", json={"user_key": user_key, "items": items}, headers=auth
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def reasons(results: list[dict[str, Any]]) -> list[str]:
    return [result["reason"] for result in results]


def add_link(runtime: PlatformRuntime, appid: str, slug: str, *, expires_in: dt.timedelta) -> str:
    now = utcnow()
    with runtime.sessions() as session, session.begin():
        session.add(
            UrlLink(
                slug=slug,
                appid=appid,
                path="/pages/product",
                query="sku=GG-1",
                created_at=now,
                expires_at=now + expires_in,
            )
        )
    return f"{runtime.settings.base_url}/urllink/{slug}"


def test_open_port_carries_the_mini_program_card(
    http: httpx.Client, host_auth: dict[str, str], world: World
) -> None:
    [result] = check(http, host_auth, [world.appid])
    assert result == {
        "item": world.appid,
        "appid": world.appid,
        "open": True,
        "reason": "open",
        "mini_program": {
            "name_zh": "GUCCI古驰线上旗舰店",
            "name_en": "GUCCI Online Flagship Store",
            "icon_url": "",
        },
    }


def test_every_closed_reason(
    runtime: PlatformRuntime,
    http: httpx.Client,
    jd_auth: dict[str, str],
    world: World,
    other_brand: OtherBrand,
) -> None:
    jd = world.other_client_id
    assert reasons(check(http, jd_auth, [world.appid])) == ["no_port"]
    requested = request_port(runtime, client_id=jd, appid=world.appid)
    assert reasons(check(http, jd_auth, [world.appid])) == ["port_requested"]
    now = utcnow()
    with runtime.sessions() as session, session.begin():
        lifecycle.reject(
            session, requested, actor=OPERATOR, reason=Reason(ReasonCategory.REQUEST), now=now
        )
    assert reasons(check(http, jd_auth, [world.appid])) == ["port_rejected"]
    withdrawn = request_port(runtime, client_id=jd, appid=world.second_appid)
    with runtime.sessions() as session, session.begin():
        lifecycle.withdraw(
            session,
            withdrawn,
            actor=Actor(ActorKind.HOST, jd),
            reason=Reason(ReasonCategory.REQUEST),
            now=now,
        )
    assert reasons(check(http, jd_auth, [world.second_appid])) == ["port_withdrawn"]
    expired = request_port(runtime, client_id=jd, appid=other_brand.appid)
    with runtime.sessions() as session, session.begin():
        lifecycle.approve(
            session, expired, actor=OPERATOR, reason=Reason(ReasonCategory.REQUEST), now=now
        )
        # A trial that has already ended, before the expiry job got to it.
        session.execute(
            update(Port)
            .where(Port.id == expired)
            .values(trial_ends_at=now - dt.timedelta(seconds=1))
        )
        changed = session.get(Port, expired)
        assert changed is not None
        note_port_change(session, client_id=changed.client_id, appid=changed.appid)
    assert reasons(check(http, jd_auth, [other_brand.appid])) == ["trial_ended"]
    with runtime.sessions() as session, session.begin():
        lifecycle.expire_port(session, expired, now=utcnow())
    assert reasons(check(http, jd_auth, [other_brand.appid])) == ["port_expired"]


def test_closed_and_suspended(
    runtime: PlatformRuntime,
    http: httpx.Client,
    host_auth: dict[str, str],
    jd_auth: dict[str, str],
    world: World,
) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    with runtime.sessions() as session, session.begin():
        lifecycle.close(
            session,
            port_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.SECURITY, "counterfeits"),
            now=utcnow(),
        )
    results = check(http, host_auth, [world.appid, world.second_appid])
    assert reasons(results) == ["port_closed", "open"]
    assert "mini_program" not in results[0]
    with runtime.sessions() as session, session.begin():
        lifecycle.suspend_host(
            session,
            client_id=world.client_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.SECURITY, "abuse"),
            now=utcnow(),
        )
    # Suspension overrides every port of the host, even one it never had.
    assert (
        reasons(check(http, host_auth, [world.appid, world.second_appid, "wx" + "0" * 16]))
        == ["host_suspended"] * 3
    )
    # Another host's answers are untouched.
    assert reasons(check(http, jd_auth, [world.appid])) == ["no_port"]


def test_rollout_and_allow_list(
    runtime: PlatformRuntime, http: httpx.Client, host_auth: dict[str, str], world: World
) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    with runtime.sessions() as session, session.begin():
        lifecycle.set_staging(
            session,
            port_id,
            actor=OPERATOR,
            rollout_percent=30,
            allow_list=["tester"],
            trial_ends_at=None,
            daily_launch_quota=None,
            now=utcnow(),
        )
    answers = {
        key: check(http, host_auth, [world.appid], user_key=key)[0]["reason"]
        for key in [f"user-{n}" for n in range(60)]
    }
    assert set(answers.values()) == {"open", "not_in_rollout"}
    # Stable: the same user gets the same answer again.
    for key, reason in list(answers.items())[:10]:
        assert check(http, host_auth, [world.appid], user_key=key)[0]["reason"] == reason
    assert check(http, host_auth, [world.appid], user_key="tester")[0]["reason"] == "open"


def test_url_links_resolve_to_their_mini_program_and_page(
    runtime: PlatformRuntime, http: httpx.Client, host_auth: dict[str, str], world: World
) -> None:
    live = add_link(runtime, world.appid, "A" * 22, expires_in=dt.timedelta(days=1))
    dead = add_link(runtime, world.appid, "B" * 22, expires_in=dt.timedelta(seconds=-1))
    results = check(http, host_auth, [live, dead, "https://example.com/x", "C" * 22])
    assert results[0] == {
        "item": live,
        "appid": world.appid,
        "path": "/pages/product",
        "query": "sku=GG-1",
        "open": True,
        "reason": "open",
        "mini_program": results[0]["mini_program"],
    }
    for result in results[1:]:
        assert result["appid"] is None and result["open"] is False
        assert result["reason"] == "invalid_url_link"
    # A bare slug works too.
    assert check(http, host_auth, ["A" * 22])[0]["appid"] == world.appid


def test_etag_and_not_modified(
    runtime: PlatformRuntime, http: httpx.Client, host_auth: dict[str, str], world: World
) -> None:
    body = {"user_key": "u", "items": [world.appid, world.second_appid]}
    first = http.post("/api/ports/check", json=body, headers=host_auth)
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "private, no-cache"
    second = http.post("/api/ports/check", json=body, headers=host_auth)
    assert second.headers["etag"] == etag and second.content == first.content
    unchanged = http.post(
        "/api/ports/check", json=body, headers={**host_auth, "If-None-Match": etag}
    )
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    listed = http.post(
        "/api/ports/check",
        json=body,
        headers={**host_auth, "If-None-Match": f'"other", W/{etag}'},
    )
    assert listed.status_code == 304
    with runtime.sessions() as session, session.begin():
        lifecycle.close(
            session,
            port_id_of(runtime, world.client_id, world.appid),
            actor=OPERATOR,
            reason=Reason(ReasonCategory.POLICY, "paused"),
            now=utcnow(),
        )
    changed = http.post("/api/ports/check", json=body, headers={**host_auth, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_a_hundred_items_and_duplicates(
    http: httpx.Client, host_auth: dict[str, str], world: World
) -> None:
    items = [world.appid, world.second_appid] * 50
    results = check(http, host_auth, items)
    assert [result["item"] for result in results] == items
    assert set(reasons(results)) == {"open"}


BAD_CHECK_BODIES: list[object] = [
    {},
    {"user_key": "u"},
    {"items": ["wx1"]},
    {"user_key": "u", "items": []},
    {"user_key": "u", "items": ["wx" + "0" * 16] * 101},
    {"user_key": "", "items": ["x"]},
    {"user_key": "k" * 129, "items": ["x"]},
    {"user_key": 7, "items": ["x"]},
    {"user_key": "u", "items": "wx1"},
    {"user_key": "u", "items": [1]},
    {"user_key": "u", "items": [""]},
    {"user_key": "u", "items": ["x" * 2049]},
    {"user_key": "u", "items": ["wx" + "0" * 16, "x", None]},
    {"user_key": "u", "items": ["wx" + "0" * 16, ["x"]]},
    {"user_key": "u", "items": ["wx" + "0" * 16, ""]},
    {"user_key": "u", "items": ["wx" + "0" * 16, "x" * 2049]},
    {"user_key": "u", "items": ["wx" + "0" * 16, "a\x01b"]},
    {"user_key": "u\x00", "items": ["x"]},
    {"user_key": "u", "items": ["x"], "extra": True},
    [],
    None,
]


def test_bad_input_is_400(http: httpx.Client, host_auth: dict[str, str]) -> None:
    for body in BAD_CHECK_BODIES:
        response = http.post("/api/ports/check", json=body, headers=host_auth)
        assert response.status_code == 400, (body, response.text)
        assert error_of(response) == "invalid_request"
    for raw in (b"", b"{", b"\xff\xfe", b"[" * 60_000, b'"' + b"\\" * 100 + b'"'):
        response = http.post("/api/ports/check", content=raw, headers=host_auth)
        assert response.status_code == 400, raw[:10]
    huge = http.post("/api/ports/check", content=b" " * 70_000, headers=host_auth)
    assert huge.status_code == 413 and error_of(huge) == "invalid_request"


def test_check_needs_a_ports_token(http: httpx.Client) -> None:
    body = {"user_key": "u", "items": ["x"]}
    missing = http.post("/api/ports/check", json=body)
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    wrong = http.post("/api/ports/check", json=body, headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401 and error_of(wrong) == "invalid_token"


@pytest.fixture
def statements(runtime: PlatformRuntime) -> Iterator[list[str]]:
    """Every SQL statement the runtime's engine runs while the test watches."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(runtime.engine, "before_cursor_execute", record)
    yield seen
    event.remove(runtime.engine, "before_cursor_execute", record)


def test_a_warm_check_runs_no_sql(
    runtime: PlatformRuntime,
    http: httpx.Client,
    host_auth: dict[str, str],
    world: World,
    statements: list[str],
) -> None:
    link = add_link(runtime, world.appid, "D" * 22, expires_in=dt.timedelta(days=1))
    items = [world.appid, world.second_appid, link, "wx" + "1" * 16]
    check(http, host_auth, items)  # warms the token, card and link caches
    assert statements, "the engine listener saw nothing: the test would prove nothing"
    statements.clear()
    for user in range(20):
        check(http, host_auth, items, user_key=f"user-{user}")
    assert statements == []


def test_unknown_states_never_leak_as_open(
    runtime: PlatformRuntime, http: httpx.Client, host_auth: dict[str, str], world: World
) -> None:
    # A port row in a state this code does not know (say, from a newer release) is closed.
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(Port)
            .where(Port.id == port_id_of(runtime, world.client_id, world.appid))
            .values(state="paused")
        )
        note_port_change(session, client_id=world.client_id, appid=world.appid)
    [result] = check(http, host_auth, [world.appid])
    assert result["open"] is False
    assert PortState.OPEN.value != result["reason"]


def test_check_is_documented_and_post_only(
    http: httpx.Client, platform_settings: PlatformSettings, runtime: PlatformRuntime
) -> None:
    with warnings.catch_warnings():
        # FastAPI warns about /authorize (GET and POST share an operation id): not ours.
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        schema = create_app(platform_settings, runtime=runtime).openapi()
    operation = schema["paths"]["/api/ports/check"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["user_key", "items"]
    assert {"200", "304", "400", "401", "403", "413"} <= set(operation["responses"])
    assert "ErrorBody" in schema["components"]["schemas"]
    for path in ("/api/ports", "/api/ports/{port_id}", "/api/brand/ports/{port_id}/close"):
        assert path in schema["paths"]
    wrong = http.get("/api/ports/check")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert error_of(wrong) == "invalid_request"
    # The page middlewares are skipped: no CSRF cookie on an API answer.
    assert "set-cookie" not in wrong.headers
