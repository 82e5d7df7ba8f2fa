"""``/cgi-bin/token`` and ``/cgi-bin/stable_token``: a mini program's own server credential."""

from __future__ import annotations

from typing import Any

import pytest

from tests.platform.miniprogram_api.conftest import MiniProgramApi, MpWorld, errcode


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
