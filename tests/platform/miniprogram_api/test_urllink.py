"""URL links: a mini program generates them, queries them, hosts resolve them, people open them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from miniport.common.clock import utcnow
from miniport.platform.miniprogram_api.models import UrlLink
from miniport.platform.miniprogram_api.quotas import day_of
from miniport.platform.miniprogram_api.urllink import (
    URL_LINK_DAILY_QUOTA,
    LiveLink,
    find_live_link,
    slug_of,
)
from miniport.platform.ports.models import DailyCounter
from miniport.platform.runtime import PlatformRuntime
from tests.platform.miniprogram_api.conftest import MiniProgramApi, MpWorld, errcode


@pytest.fixture
def mp_token(api: MiniProgramApi, mp_world: MpWorld) -> str:
    return api.token(mp_world.appid, mp_world.app_secret)


def _generate(api: MiniProgramApi, token: str | None, body: Any) -> httpx.Response:
    params = {"access_token": token} if token is not None else {}
    return api.client.post("/wxa/generate_urllink", params=params, json=body)


def _query(api: MiniProgramApi, token: str, url_link: Any) -> httpx.Response:
    return api.client.post(
        "/wxa/query_urllink", params={"access_token": token}, json={"url_link": url_link}
    )


def test_generate_and_query_answer_the_documented_shapes(
    api: MiniProgramApi, mp_world: MpWorld, mp_token: str, platform_url: str
) -> None:
    before = int(utcnow().timestamp())
    generated = _generate(
        api,
        mp_token,
        {
            "path": "/pages/product",
            "query": "id=42&from=note",
            "env_version": "trial",
            "expire_type": 1,
            "expire_interval": 7,
        },
    )
    assert errcode(generated) == 0
    body = generated.json()
    assert set(body) == {"errcode", "errmsg", "url_link"} and body["errmsg"] == "ok"
    assert body["url_link"].startswith(f"{platform_url}/urllink/")

    queried = _query(api, mp_token, body["url_link"])
    assert errcode(queried) == 0
    answer = queried.json()
    assert set(answer) == {"errcode", "errmsg", "url_link_info"}
    info = answer["url_link_info"]
    assert set(info) == {"appid", "path", "query", "create_time", "expire_time", "env_version"}
    assert (info["appid"], info["path"], info["query"], info["env_version"]) == (
        mp_world.appid,
        "/pages/product",
        "id=42&from=note",
        "trial",
    )
    assert isinstance(info["create_time"], int) and isinstance(info["expire_time"], int)
    assert before <= info["create_time"] <= before + 5
    assert info["expire_time"] - info["create_time"] in range(7 * 86400 - 1, 7 * 86400 + 2)


def test_defaults_open_the_home_page_for_thirty_days(
    api: MiniProgramApi, mp_world: MpWorld, mp_token: str
) -> None:
    url = _generate(api, mp_token, {}).json()["url_link"]
    info = _query(api, mp_token, url).json()["url_link_info"]
    assert (info["path"], info["query"], info["env_version"]) == ("/pages/index", "", "release")
    assert info["expire_time"] - info["create_time"] in range(30 * 86400 - 1, 30 * 86400 + 2)


def test_expire_time_sets_the_expiry(api: MiniProgramApi, mp_world: MpWorld, mp_token: str) -> None:
    expire_time = int(utcnow().timestamp()) + 3600
    url = _generate(api, mp_token, {"expire_type": 0, "expire_time": expire_time}).json()[
        "url_link"
    ]
    assert _query(api, mp_token, url).json()["url_link_info"]["expire_time"] == expire_time


def _in_days(days: float) -> int:
    return int((utcnow() + dt.timedelta(days=days)).timestamp())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"path": "/pages/admin"}, 40165),
        ({"path": "/pages/index?x=1"}, 40165),
        ({"path": "p" * 3000}, 40097),
        ({"query": "a=" + "b" * 1030}, 40212),
        ({"query": "name=古驰"}, 40212),
        ({"query": "a b"}, 40212),
        ({"env_version": "beta"}, 40097),
        ({"env_version": 1}, 40097),
        ({"expire_type": 2}, 40097),
        ({"expire_type": True, "expire_interval": 3}, 40097),
        ({"expire_type": 1}, 85401),
        ({"expire_type": 1, "expire_interval": 0}, 85401),
        ({"expire_type": 1, "expire_interval": 31}, 85401),
        ({"expire_interval": -3}, 85401),
        ({"expire_type": 1, "expire_interval": "7"}, 40097),
        ({"expire_type": 1, "expire_interval": 7.5}, 40097),
        ({"expire_type": 0, "expire_time": _in_days(-1)}, 85401),
        ({"expire_type": 0, "expire_time": _in_days(31)}, 85401),
        ({"expire_type": 0, "expire_time": 10**30}, 40097),
        ({"path": "pages/product"}, 0),
    ],
)
def test_generate_refusals(
    api: MiniProgramApi, mp_token: str, body: dict[str, Any], expected: int
) -> None:
    assert errcode(_generate(api, mp_token, body)) == expected


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_url_link_calls_need_a_mini_program_access_token(
    api: MiniProgramApi, token: str | None
) -> None:
    assert errcode(_generate(api, token, {})) == 40001
    params = {"access_token": token} if token is not None else {}
    queried = api.client.post("/wxa/query_urllink", params=params, json={"url_link": "x"})
    assert errcode(queried) == 40001


def test_a_run_ticket_is_not_a_mini_program_access_token(api: MiniProgramApi, ticket: str) -> None:
    assert errcode(_generate(api, ticket, {})) == 40001


def test_the_daily_generation_quota(
    api: MiniProgramApi, mp_world: MpWorld, mp_token: str, runtime: PlatformRuntime
) -> None:
    with runtime.sessions() as session, session.begin():
        session.add(
            DailyCounter(
                key=f"urllink:{mp_world.appid}",
                day=day_of(utcnow()),
                count=URL_LINK_DAILY_QUOTA - 1,
            )
        )
    assert errcode(_generate(api, mp_token, {})) == 0
    assert errcode(_generate(api, mp_token, {})) == 45009
    # Another mini program has its own quota.
    other = api.token(mp_world.second_appid, mp_world.second_app_secret)
    assert errcode(_generate(api, other, {})) == 0


def test_a_mini_program_queries_only_its_own_links(
    api: MiniProgramApi, mp_world: MpWorld, mp_token: str
) -> None:
    url = _generate(api, mp_token, {}).json()["url_link"]
    other = api.token(mp_world.second_appid, mp_world.second_app_secret)
    assert errcode(_query(api, other, url)) == 40097
    for bad in ("", "https://example.com/nothing", "not a link", 42, None):
        assert errcode(_query(api, mp_token, bad)) in (40097, 47001)


def test_hosts_resolve_links_and_expired_ones_resolve_to_nothing(
    api: MiniProgramApi, mp_world: MpWorld, mp_token: str, runtime: PlatformRuntime
) -> None:
    url = _generate(api, mp_token, {"path": "/pages/product", "query": "id=7"}).json()["url_link"]
    slug = slug_of(url)
    assert slug is not None
    now = utcnow()
    with runtime.read_sessions() as session:
        resolved = find_live_link(session, url, now)
        assert isinstance(resolved, LiveLink)
        assert (resolved.appid, resolved.path, resolved.query) == (
            mp_world.appid,
            "/pages/product",
            "id=7",
        )
        assert find_live_link(session, slug, now) == resolved
        assert find_live_link(session, "nothing", now) is None
        assert find_live_link(session, "https://x.example/urllink/" + "A" * 22, now) is None
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(UrlLink).where(UrlLink.slug == slug).values(expires_at=now - dt.timedelta(1))
        )
    with runtime.read_sessions() as session:
        assert find_live_link(session, url, utcnow()) is None
    # The mini program may still look at its expired link.
    assert errcode(_query(api, mp_token, url)) == 0


def test_a_person_opening_a_link_sees_which_mini_program_it_opens(
    api: MiniProgramApi, mp_token: str
) -> None:
    url = _generate(api, mp_token, {"path": "/pages/product"}).json()["url_link"]
    page = httpx.get(url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "GUCCI Online Flagship Store" in page.text and "GUCCI古驰线上旗舰店" in page.text
    assert "/pages/product" in page.text
    missing = api.client.get("/urllink/" + "B" * 22)
    assert missing.status_code == 404 and "Link not valid" in missing.text
