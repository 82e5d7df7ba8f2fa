"""Malformed requests to every mini-program endpoint get errcode JSON (HTTP 200), never a 4xx
page of another format or a 500."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.platform.miniprogram_api.conftest import MiniProgramApi, MpWorld, errcode

GET_ENDPOINTS = ["/cgi-bin/token", "/sns/jscode2session"]
POST_ENDPOINTS = [
    "/cgi-bin/stable_token",
    "/wxa/launch",
    "/wxa/generate_urllink",
    "/wxa/query_urllink",
]
ALL_ENDPOINTS = GET_ENDPOINTS + POST_ENDPOINTS


def _send(
    client: httpx.Client, path: str, *, query: str = "", content: bytes | None = None
) -> httpx.Response:
    url = f"{path}?{query}" if query else path
    if path in GET_ENDPOINTS:
        return client.get(url)
    return client.post(
        url,
        content=b"{}" if content is None else content,
        headers={"content-type": "application/json"},
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("appid=a&appid=b", 40097),  # repeated parameters are ambiguous
        ("access_token=a&access_token=b", 40097),
        ("appid=%FF%FE", 47001),  # not UTF-8
        ("appid=%00", 40097),  # control characters
        ("appid=%01x", 40097),
        ("appid=" + "a" * 5000, 40097),
    ],
)
def test_malformed_query_strings(
    api: MiniProgramApi, mp_world: MpWorld, query: str, expected: int
) -> None:
    answers = {path: errcode(_send(api.client, path, query=query)) for path in ALL_ENDPOINTS}
    assert answers == dict.fromkeys(ALL_ENDPOINTS, expected)


NESTED = b"[" * 50_000 + b"]" * 50_000


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", 47001),
        (b"   ", 47001),
        (b"not json", 47001),
        (b'{"appid": ', 47001),
        (b"[1, 2]", 47001),
        (b'"text"', 47001),
        (b"null", 47001),
        (b'{"appid": NaN}', 47001),
        (b'{"appid": "\xff\xfe"}', 47001),  # not UTF-8
        ("{}".encode("utf-16"), 47001),
        (b'{"appid": "a", "appid": "b"}', 40097),
        (b"{" + b'"pad": "' + b"x" * 100_000 + b'"}', 47001),  # 100 kB
        (NESTED[:60_000], 47001),
    ],
)
def test_malformed_json_bodies(
    api: MiniProgramApi, ticket: str, content: bytes, expected: int
) -> None:
    query = f"access_token={ticket}"
    answers = {
        path: errcode(_send(api.client, path, query=query, content=content))
        for path in POST_ENDPOINTS
    }
    assert answers == dict.fromkeys(POST_ENDPOINTS, expected)


def test_an_oversized_body_without_a_declared_length_is_refused(
    api: MiniProgramApi, ticket: str
) -> None:
    def chunks() -> object:
        for _ in range(20):
            yield b" " * 8192

    response = api.client.post(
        "/wxa/launch",
        params={"access_token": ticket},
        content=chunks(),  # type: ignore[arg-type]
    )
    assert errcode(response) == 47001


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, 47001),
        ({"appid": "x"}, 47001),
        ({"path": "/pages/index", "user_key": "k"}, 47001),
        ({"appid": "{appid}", "path": "/pages/index"}, 47001),  # user_key missing
        ({"appid": "{appid}", "path": "", "user_key": "k"}, 47001),
        ({"appid": 123, "path": "/pages/index", "user_key": "k"}, 40097),
        ({"appid": "{appid}", "path": ["/pages/index"], "user_key": "k"}, 40097),
        ({"appid": "{appid}", "path": "/pages/index", "user_key": {"id": 1}}, 40097),
        ({"appid": "{appid}", "path": "/pages/index", "user_key": "k" * 200}, 40097),
        ({"appid": "{appid}", "path": "/pages/index", "user_key": "k", "query": 5}, 40097),
        ({"appid": "{appid}", "path": "/pages/index", "user_key": "k\x00"}, 40097),
        ({"appid": "{appid}", "path": "/pages/index", "user_key": "k", "extra": [1]}, 0),
    ],
)
def test_launch_fields_of_the_wrong_shape(
    api: MiniProgramApi,
    mp_world: MpWorld,
    ticket: str,
    body: dict[str, object],
    expected: int,
) -> None:
    content = json.dumps(body).replace("{appid}", mp_world.appid).encode()
    response = api.client.post("/wxa/launch", params={"access_token": ticket}, content=content)
    assert errcode(response) == expected


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"js_code": ""},
        {"js_code": "x" * 300},
        {"js_code": "a\u00e9b"},
        {"js_code": "%00"},
    ],
)
def test_jscode2session_with_a_missing_or_absurd_code(
    api: MiniProgramApi, mp_world: MpWorld, params: dict[str, str]
) -> None:
    query = {
        "appid": mp_world.appid,
        "secret": mp_world.app_secret,
        "grant_type": "authorization_code",
    } | params
    assert errcode(api.client.get("/sns/jscode2session", params=query)) == 40029


def test_a_form_encoded_post_is_read_as_the_malformed_json_it_is(
    api: MiniProgramApi, ticket: str
) -> None:
    response = api.client.post(
        "/wxa/launch", params={"access_token": ticket}, data={"appid": "x", "path": "/"}
    )
    assert errcode(response) == 47001
