"""Requests too large to be honest are refused at the edge of every service, over real HTTP
against ``miniport serve``: a huge header or too many (431), a long URL (414), a large body
with or without a declared length (413); ordinary requests pass, each with a request id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from miniport.common.migrate import upgrade
from miniport.platform.settings import PlatformSettings
from tests.support.served import RawResponse, Served, raw_request, served
from tests.support.servers import free_port

MEGABYTE = 1024 * 1024


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("platform")
    port = free_port()
    upgrade("platform", PlatformSettings(data_dir=data_dir).database_url)
    env = {
        "MINIPORT_PLATFORM_DATA_DIR": str(data_dir),
        "MINIPORT_PLATFORM_BASE_URL": f"http://127.0.0.1:{port}",
    }
    with served("platform", port=port, env=env, logs=data_dir / "logs") as server:
        yield server


def get(path: str, *headers: bytes) -> bytes:
    return (
        b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(headers) + b"\r\n"
    )


def chunked(body: bytes, *, piece: int = 64 * 1024) -> bytes:
    pieces = (body[at : at + piece] for at in range(0, len(body), piece))
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in pieces) + b"0\r\n\r\n"


def post_token(headers: bytes, body: bytes) -> bytes:
    return (
        b"POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n" + headers + b"\r\n" + body
    )


def assert_refused(answer: RawResponse, status: int) -> None:
    assert answer.status == status, (answer.status, answer.body[:200])
    assert len(answer.body) < 100  # a short answer, not a page
    assert answer.headers["connection"] == "close"
    assert answer.headers["x-request-id"]


def test_a_one_megabyte_header_is_431(platform: Served) -> None:
    answer = raw_request(platform.port, get("/jwks.json", b"X-Big: " + b"a" * MEGABYTE + b"\r\n"))
    assert_refused(answer, 431)


def test_ten_thousand_headers_are_431(platform: Served) -> None:
    many = b"".join(b"X-Header-%d: 1\r\n" % number for number in range(10_000))
    assert_refused(raw_request(platform.port, get("/jwks.json", many)), 431)


def test_a_long_url_is_414(platform: Served) -> None:
    assert_refused(raw_request(platform.port, get("/jwks.json?q=" + "a" * 20_000)), 414)


def test_a_large_declared_body_is_413_before_it_is_sent(platform: Served) -> None:
    # Only the head is sent: the answer must not wait for two megabytes that never come.
    request = post_token(b"Content-Length: %d\r\n" % (2 * MEGABYTE), b"")
    assert_refused(raw_request(platform.port, request, timeout=10), 413)


def test_a_large_chunked_body_is_413(platform: Served) -> None:
    request = post_token(b"Transfer-Encoding: chunked\r\n", chunked(b"a" * (MEGABYTE + 100_000)))
    assert_refused(raw_request(platform.port, request), 413)


def test_ordinary_requests_pass_with_a_request_id(platform: Served) -> None:
    plain = httpx.get(platform.url + "/jwks.json")
    assert plain.status_code == 200 and plain.json()["keys"]
    assert plain.headers["x-request-id"]

    # A small chunked body reaches the endpoint whole: it reads the grant type, then
    # refuses the missing client authentication (not a missing grant type).
    request = post_token(
        b"Transfer-Encoding: chunked\r\n", chunked(b"grant_type=client_credentials", piece=7)
    )
    answer = raw_request(platform.port, request)
    assert answer.status == 401, answer.body
    assert json.loads(answer.body)["error"] == "invalid_client"

    # Browsers' many cookies and a long but sane URL are fine.
    page = httpx.get(
        platform.url + "/signin",
        params={"next": "/" + "x" * 2000},
        headers={"Cookie": "; ".join(f"c{number}={'v' * 100}" for number in range(40))},
    )
    assert page.status_code == 200


def test_a_caller_s_request_id_is_kept_only_when_short_and_plain(platform: Served) -> None:
    kept = httpx.get(platform.url + "/jwks.json", headers={"X-Request-Id": "lb-7f3a.42:x_y"})
    assert kept.headers["x-request-id"] == "lb-7f3a.42:x_y"
    for unsafe in ("has space", 'quote"d', "a" * 65, "---"):
        made = httpx.get(platform.url + "/jwks.json", headers={"X-Request-Id": unsafe})
        assert made.headers["x-request-id"] not in (unsafe, "")
        assert made.headers["x-request-id"].replace("-", "").isalnum()
    ids = {httpx.get(platform.url + "/jwks.json").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("service", ["host", "shop"])
def test_the_host_and_the_shop_refuse_the_same_and_answer_the_rest(
    service: str, tmp_path: Path
) -> None:
    port = free_port()
    prefix = f"MINIPORT_{service.upper()}_"
    credentials = (
        {"CLIENT_ID": "host-under-test", "CLIENT_SECRET": "s" * 40}
        if service == "host"
        else {"APPID": "wx0000000000000001", "APP_SECRET": "s" * 40}
    )
    env = {
        prefix + "DATA_DIR": str(tmp_path),
        prefix + "BASE_URL": f"http://127.0.0.1:{port}",
        **{prefix + name: value for name, value in credentials.items()},
    }
    with served(
        service, port=port, env=env, logs=tmp_path / "logs", options=("--migrate",)
    ) as server:
        assert_refused(raw_request(port, get("/", b"X-Big: " + b"a" * MEGABYTE + b"\r\n")), 431)
        assert_refused(raw_request(port, get("/?q=" + "a" * 20_000)), 414)
        body = post_token(b"Transfer-Encoding: chunked\r\n", chunked(b"a" * (MEGABYTE + 1)))
        assert_refused(raw_request(port, body.replace(b"/token", b"/signin")), 413)
        home = httpx.get(server.url + "/")
        assert home.status_code == 200 and home.headers["x-request-id"]
