"""``/cgi-bin/token`` and ``/cgi-bin/stable_token``: a mini program's own server credential."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from miniport.platform.miniprogram_api.credentials import (
    ACCESS_TOKEN_LIFETIME,
    FORCE_REFRESH_PER_DAY,
    FORCE_REFRESH_SPACING,
    OVERLAP,
    STABLE_MIN_REMAINING,
)
from miniport.platform.web.routes import miniprogram as miniprogram_routes
from tests.platform.miniprogram_api.conftest import MiniProgramApi, MpWorld, errcode
from tests.sdk.transports import FakeClock

SECOND = dt.timedelta(seconds=1)


def _token(api: MiniProgramApi, **params: str) -> Any:
    return api.client.get("/cgi-bin/token", params=params)


def _stable(api: MiniProgramApi, body: Any) -> Any:
    return api.client.post("/cgi-bin/stable_token", json=body)


def test_token_answers_the_documented_shape(api: MiniProgramApi, mp_world: MpWorld) -> None:
    response = _token(
        api, grant_type="client_credential", appid=mp_world.appid, secret=mp_world.app_secret
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in"}
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 32
    assert body["expires_in"] == 7200
    assert response.headers["cache-control"] == "no-store"


def test_a_new_token_replaces_the_old_which_keeps_working(
    api: MiniProgramApi, mp_world: MpWorld
) -> None:
    first = api.token(mp_world.appid, mp_world.app_secret)
    second = api.token(mp_world.appid, mp_world.app_secret)
    assert first != second
    for token in (first, second):  # the old one has five more minutes
        response = api.client.post("/wxa/generate_urllink", params={"access_token": token}, json={})
        assert errcode(response) == 0


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"grant_type": "authorization_code"}, 40002),
        ({"grant_type": ""}, 40002),
        ({"grant_type": None}, 40002),
        ({"grant_type": "client_credential", "appid": "wx0000000000000000"}, 40013),
        ({"grant_type": "client_credential", "appid": ""}, 40013),
        ({"grant_type": "client_credential", "appid": "a" * 500}, 40013),
        ({"grant_type": "client_credential", "secret": "wrong"}, 40125),
        ({"grant_type": "client_credential", "secret": ""}, 40125),
        ({"grant_type": "client_credential", "secret": None}, 40125),
    ],
)
def test_token_refusals(
    api: MiniProgramApi, mp_world: MpWorld, params: dict[str, str | None], expected: int
) -> None:
    query: dict[str, str | None] = {
        "grant_type": "client_credential",
        "appid": mp_world.appid,
        "secret": mp_world.app_secret,
    }
    query.update(params)
    sent = {name: value for name, value in query.items() if value is not None}
    assert errcode(_token(api, **sent)) == expected


def test_stable_token_hands_out_the_same_token_until_forced(
    api: MiniProgramApi, mp_world: MpWorld
) -> None:
    body = {
        "grant_type": "client_credential",
        "appid": mp_world.appid,
        "secret": mp_world.app_secret,
    }
    first = _stable(api, body).json()
    assert set(first) == {"access_token", "expires_in"}
    assert isinstance(first["expires_in"], int) and 7000 < first["expires_in"] <= 7200
    assert (
        _stable(api, {**body, "force_refresh": False}).json()["access_token"]
        == (first["access_token"])
    )
    forced = _stable(api, {**body, "force_refresh": True}).json()
    assert forced["access_token"] != first["access_token"]
    # force_refresh is limited: 30 seconds apart (and 20 a day).
    too_soon = _stable(api, {**body, "force_refresh": True})
    assert errcode(too_soon) == 45009


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"grant_type": "client_credentials"}, 40002),
        ({"grant_type": None}, 40002),
        ({"appid": "wx0000000000000000"}, 40013),
        ({"secret": "nope"}, 40125),
        ({"force_refresh": "yes"}, 40097),
        ({"force_refresh": 1}, 40097),
        ({"appid": 12345}, 40097),
        ({"secret": ["a"]}, 40097),
    ],
)
def test_stable_token_refusals(
    api: MiniProgramApi, mp_world: MpWorld, changes: dict[str, Any], expected: int
) -> None:
    body = {
        "grant_type": "client_credential",
        "appid": mp_world.appid,
        "secret": mp_world.app_secret,
    }
    body.update(changes)
    sent = {name: value for name, value in body.items() if value is not None}
    assert errcode(_stable(api, sent)) == expected


# --- lifetimes, on a clock the test moves -------------------------------------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The mini-program API's clock (``miniport.common.clock.utcnow`` as its routes call it):
    it stamps the tokens issued and judges the tokens presented."""
    fake = FakeClock()
    # 01:00 UTC today: whole seconds, and the force_refresh tests stay within one UTC day.
    fake.now = fake.now.replace(hour=1, minute=0, second=0, microsecond=0)
    monkeypatch.setattr(miniprogram_routes, "utcnow", fake)
    return fake


def _credential(mp_world: MpWorld, **extra: Any) -> dict[str, Any]:
    return {
        "grant_type": "client_credential",
        "appid": mp_world.appid,
        "secret": mp_world.app_secret,
        **extra,
    }


def _stable_token(api: MiniProgramApi, mp_world: MpWorld, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = _stable(api, _credential(mp_world, **extra)).json()
    assert set(answer) == {"access_token", "expires_in"}, answer
    return answer


def _accepted(api: MiniProgramApi, token: str) -> bool:
    """Whether an API call made with ``token`` is let through (0) or refused (40001)."""
    response = api.client.post("/wxa/generate_urllink", params={"access_token": token}, json={})
    code = errcode(response)
    assert code in (0, 40001), response.json()
    return code == 0


def test_a_token_expires_after_7200_seconds(
    api: MiniProgramApi, mp_world: MpWorld, clock: FakeClock
) -> None:
    assert ACCESS_TOKEN_LIFETIME == dt.timedelta(seconds=7200)
    token = api.token(mp_world.appid, mp_world.app_secret)
    issued = clock.now
    clock.now = issued + ACCESS_TOKEN_LIFETIME - SECOND
    assert _accepted(api, token)
    clock.now = issued + ACCESS_TOKEN_LIFETIME
    assert not _accepted(api, token)
    clock.now = issued + ACCESS_TOKEN_LIFETIME + dt.timedelta(hours=1)
    assert not _accepted(api, token)


def test_a_replaced_token_works_for_five_more_minutes_only(
    api: MiniProgramApi, mp_world: MpWorld, clock: FakeClock
) -> None:
    assert OVERLAP == dt.timedelta(minutes=5)
    old = api.token(mp_world.appid, mp_world.app_secret)
    clock.advance(dt.timedelta(minutes=30))
    new = api.token(mp_world.appid, mp_world.app_secret)
    replaced = clock.now
    assert _accepted(api, old) and _accepted(api, new)
    clock.now = replaced + OVERLAP - SECOND
    assert _accepted(api, old)
    clock.now = replaced + OVERLAP
    assert not _accepted(api, old)
    assert _accepted(api, new)  # the replacement has its own two hours


def test_stable_token_returns_the_same_token_until_five_minutes_are_left(
    api: MiniProgramApi, mp_world: MpWorld, clock: FakeClock
) -> None:
    first = _stable_token(api, mp_world)
    issued = clock.now
    assert first["expires_in"] == 7200

    clock.now = issued + dt.timedelta(hours=1)
    later = _stable_token(api, mp_world)
    assert later == {"access_token": first["access_token"], "expires_in": 3600}

    # Exactly five minutes left is still enough: the same token, with what it has left.
    clock.now = issued + ACCESS_TOKEN_LIFETIME - STABLE_MIN_REMAINING
    last = _stable_token(api, mp_world)
    assert last == {"access_token": first["access_token"], "expires_in": 300}

    # Less than that: a new token. The old one is not cut short, it runs to its own end.
    clock.advance(SECOND)
    renewed = _stable_token(api, mp_world)
    assert renewed["access_token"] != first["access_token"]
    assert renewed["expires_in"] == 7200
    assert _stable_token(api, mp_world)["access_token"] == renewed["access_token"]
    clock.now = issued + ACCESS_TOKEN_LIFETIME - SECOND
    assert _accepted(api, first["access_token"])
    clock.now = issued + ACCESS_TOKEN_LIFETIME
    assert not _accepted(api, first["access_token"])
    assert _accepted(api, renewed["access_token"])


def test_force_refresh_issues_a_new_token_and_the_old_keeps_its_overlap(
    api: MiniProgramApi, mp_world: MpWorld, clock: FakeClock
) -> None:
    first = _stable_token(api, mp_world)
    clock.advance(dt.timedelta(minutes=10))
    forced = _stable_token(api, mp_world, force_refresh=True)
    refreshed = clock.now
    assert forced["access_token"] != first["access_token"]
    assert forced["expires_in"] == 7200
    # From now on the stable token is the forced one.
    assert _stable_token(api, mp_world)["access_token"] == forced["access_token"]
    clock.now = refreshed + OVERLAP - SECOND
    assert _accepted(api, first["access_token"])
    clock.now = refreshed + OVERLAP
    assert not _accepted(api, first["access_token"])
    assert _accepted(api, forced["access_token"])


def test_force_refresh_is_30_seconds_apart_and_20_a_day(
    api: MiniProgramApi, mp_world: MpWorld, clock: FakeClock
) -> None:
    assert FORCE_REFRESH_SPACING == dt.timedelta(seconds=30)
    assert FORCE_REFRESH_PER_DAY == 20
    forced = [_stable_token(api, mp_world, force_refresh=True)["access_token"]]
    clock.advance(FORCE_REFRESH_SPACING - SECOND)
    too_soon = _stable(api, _credential(mp_world, force_refresh=True))
    assert errcode(too_soon) == 45009
    clock.advance(SECOND)  # 30 seconds after the first
    forced.append(_stable_token(api, mp_world, force_refresh=True)["access_token"])
    for _ in range(FORCE_REFRESH_PER_DAY - 2):
        clock.advance(FORCE_REFRESH_SPACING)
        forced.append(_stable_token(api, mp_world, force_refresh=True)["access_token"])
    assert len(set(forced)) == FORCE_REFRESH_PER_DAY

    clock.advance(dt.timedelta(hours=1))
    spent = _stable(api, _credential(mp_world, force_refresh=True))
    assert errcode(spent) == 45009
    assert "20 times a day" in spent.json()["errmsg"]
    # A refused force_refresh changes nothing: the current token is still handed out.
    assert _stable_token(api, mp_world)["access_token"] == forced[-1]

    # The limit is per UTC day.
    clock.now = clock.now.replace(hour=0) + dt.timedelta(days=1)
    assert _stable_token(api, mp_world, force_refresh=True)["access_token"] not in forced
