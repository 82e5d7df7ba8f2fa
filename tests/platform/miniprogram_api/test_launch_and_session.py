"""A host launches a mini program; the mini program's server trades the code for the user's ids."""

from __future__ import annotations

import base64
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import update

from miniport.common.clock import utcnow
from miniport.common.tokens import digest
from miniport.platform.accounts.models import User
from miniport.platform.accounts.users import create_user
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.runtime import PlatformRuntime
from tests.factories import PASSWORD, run_ticket
from tests.platform.miniprogram_api.conftest import MiniProgramApi, MpWorld, errcode


def test_launch_answers_the_documented_shape(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str
) -> None:
    response = api.launch(ticket, mp_world.appid, "/pages/product?id=42", query="color=red")
    assert errcode(response) == 0
    body = response.json()
    assert set(body) == {"errcode", "errmsg", "launch_url", "code", "expires_in", "scene"}
    assert body["errmsg"] == "ok" and body["expires_in"] == 300 and body["scene"] == 1069
    assert isinstance(body["code"], str) and len(body["code"]) >= 43  # 256 bits
    url = urlsplit(body["launch_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "http://127.0.0.1:9/mp/entry"
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    assert query == {
        "code": body["code"],
        "scene": "1069",
        "path": "/pages/product?id=42&color=red",
        "host": mp_world.client_id,
    }


def test_only_the_digest_of_a_launch_code_is_stored(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    code = api.code(ticket, mp_world.appid)
    with runtime.sessions() as session:
        row = session.get(LaunchCode, digest(code))
        assert row is not None
        assert (row.appid, row.client_id, row.port_id, row.user_id, row.path) == (
            mp_world.appid,
            mp_world.client_id,
            mp_world.port_id,
            mp_world.user_id,
            "/pages/index",
        )
        assert row.expires_at - row.created_at == dt.timedelta(minutes=5)
        assert session.get(LaunchCode, code) is None


def test_jscode2session_answers_openid_session_key_unionid(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    code = api.code(ticket, mp_world.appid)
    response = api.jscode2session(mp_world.appid, mp_world.app_secret, code)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"openid", "session_key", "unionid"}
    assert all(isinstance(value, str) for value in body.values())
    assert body["openid"] == runtime.identifiers.openid(
        user_id=mp_world.user_id, appid=mp_world.appid
    )
    assert body["unionid"] == runtime.identifiers.unionid(
        user_id=mp_world.user_id, brand_id=mp_world.brand_id
    )
    assert len(body["session_key"]) == 24
    assert len(base64.b64decode(body["session_key"])) == 16


def test_ids_are_stable_per_user_distinct_per_mini_program_shared_per_brand(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str
) -> None:
    def ids(appid: str, secret: str) -> dict[str, str]:
        answer: dict[str, str] = api.jscode2session(appid, secret, api.code(ticket, appid)).json()
        assert "openid" in answer, answer
        return answer

    first, again = (
        ids(mp_world.appid, mp_world.app_secret),
        ids(mp_world.appid, mp_world.app_secret),
    )
    beauty = ids(mp_world.second_appid, mp_world.second_app_secret)
    assert first["openid"] == again["openid"] and first["unionid"] == again["unionid"]
    assert first["session_key"] != again["session_key"]
    assert beauty["openid"] != first["openid"]
    assert beauty["unionid"] == first["unionid"]


def test_a_second_user_gets_other_ids(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, platform_url: str, runtime: PlatformRuntime
) -> None:
    with runtime.sessions() as session, session.begin():
        create_user(
            session, runtime.passwords, username="su-yan", display_name="苏", password=PASSWORD
        )
    other_ticket = run_ticket(platform_url, mp_world, username="su-yan")
    mine = api.jscode2session(mp_world.appid, mp_world.app_secret, api.code(ticket, mp_world.appid))
    theirs = api.jscode2session(
        mp_world.appid, mp_world.app_secret, api.code(other_ticket, mp_world.appid)
    )
    assert mine.json()["openid"] != theirs.json()["openid"]
    assert mine.json()["unionid"] != theirs.json()["unionid"]


def test_a_code_is_single_use(api: MiniProgramApi, mp_world: MpWorld, ticket: str) -> None:
    code = api.code(ticket, mp_world.appid)
    assert "openid" in api.jscode2session(mp_world.appid, mp_world.app_secret, code).json()
    replay = api.jscode2session(mp_world.appid, mp_world.app_secret, code)
    assert errcode(replay) == 40029


def test_an_expired_code_is_refused(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    code = api.code(ticket, mp_world.appid)
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(LaunchCode)
            .where(LaunchCode.digest == digest(code))
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
    response = api.jscode2session(mp_world.appid, mp_world.app_secret, code)
    assert errcode(response) == 40029 and "expired" in response.json()["errmsg"]


def test_a_code_of_another_mini_program_is_refused_and_not_consumed(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str
) -> None:
    code = api.code(ticket, mp_world.appid)
    foreign = api.jscode2session(mp_world.second_appid, mp_world.second_app_secret, code)
    assert errcode(foreign) == 40029
    # The rightful mini program can still use it: a stranger cannot burn someone's code.
    assert "openid" in api.jscode2session(mp_world.appid, mp_world.app_secret, code).json()


def test_an_unknown_code_is_refused(api: MiniProgramApi, mp_world: MpWorld) -> None:
    response = api.jscode2session(mp_world.appid, mp_world.app_secret, "x" * 43)
    assert errcode(response) == 40029


def test_a_blocked_user_is_refused(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    code = api.code(ticket, mp_world.appid)
    with runtime.sessions() as session, session.begin():
        session.execute(update(User).where(User.id == mp_world.user_id).values(blocked=True))
    assert errcode(api.jscode2session(mp_world.appid, mp_world.app_secret, code)) == 40226


def test_jscode2session_authenticates_the_mini_program(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str
) -> None:
    code = api.code(ticket, mp_world.appid)
    assert errcode(api.jscode2session("wx0000000000000000", mp_world.app_secret, code)) == 40013
    assert errcode(api.jscode2session(mp_world.appid, "wrong-secret", code)) == 40125
    # The other mini program's secret is a wrong secret for this appid.
    assert errcode(api.jscode2session(mp_world.appid, mp_world.second_app_secret, code)) == 40125
    # None of these consumed the code.
    assert "openid" in api.jscode2session(mp_world.appid, mp_world.app_secret, code).json()


@pytest.mark.parametrize(
    ("grant_type", "expected"), [("client_credential", 40002), ("", 40002), (None, 40002)]
)
def test_jscode2session_needs_its_grant_type(
    api: MiniProgramApi, mp_world: MpWorld, grant_type: str | None, expected: int
) -> None:
    params = {"appid": mp_world.appid, "secret": mp_world.app_secret, "js_code": "abc"}
    if grant_type is not None:
        params["grant_type"] = grant_type
    assert errcode(api.client.get("/sns/jscode2session", params=params)) == expected


def test_more_than_100_exchanges_a_minute_are_rate_limited(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str
) -> None:
    codes = [api.code(ticket, mp_world.appid) for _ in range(101)]
    for code in codes[:100]:
        assert "openid" in api.jscode2session(mp_world.appid, mp_world.app_secret, code).json()
    limited = api.jscode2session(mp_world.appid, mp_world.app_secret, codes[100])
    assert errcode(limited) == 45011
    # The refusal did not consume the code, and the limit is per mini program.
    other = api.code(ticket, mp_world.second_appid)
    assert (
        "openid"
        in api.jscode2session(mp_world.second_appid, mp_world.second_app_secret, other).json()
    )


def test_concurrent_exchanges_of_one_code_succeed_exactly_once(
    platform_url: str, mp_world: MpWorld, ticket: str, api: MiniProgramApi
) -> None:
    code = api.code(ticket, mp_world.appid)

    def exchange(_: int) -> dict[str, object]:
        with httpx.Client(base_url=platform_url, timeout=30) as client:
            answer: dict[str, object] = (
                MiniProgramApi(client)
                .jscode2session(mp_world.appid, mp_world.app_secret, code)
                .json()
            )
            return answer

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(exchange, range(10)))
    assert sum("openid" in answer for answer in answers) == 1
    assert sorted(answer.get("errcode", 0) for answer in answers) == [0] + [40029] * 9
