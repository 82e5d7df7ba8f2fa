"""The lean path answers its four endpoints itself and hands everything else to FastAPI."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from miniport.platform.web.fastpath import Answer, FastPath, FastRoute

HOT = ["/.well-known/openid-configuration", "/jwks.json", "/token", "/introspect"]


def test_other_paths_fall_through_to_fastapi(platform_url: str) -> None:
    # Routes FastAPI serves keep their behaviour: a page, a JSON error, FastAPI's 404.
    assert httpx.get(f"{platform_url}/signin").status_code == 200
    userinfo = httpx.get(f"{platform_url}/userinfo")
    assert userinfo.status_code == 401 and userinfo.json()["error"] == "invalid_token"
    missing = httpx.get(f"{platform_url}/jwks.json/extra")
    assert missing.status_code == 404
    # A path is matched exactly: no prefix, trailing-slash or case variants reach the lean path.
    assert httpx.get(f"{platform_url}/JWKS.json").status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/token", "POST"),
        ("PUT", "/introspect", "POST"),
        ("DELETE", "/token", "POST"),
        ("POST", "/jwks.json", "GET, HEAD"),
        ("POST", "/.well-known/openid-configuration", "GET, HEAD"),
    ],
)
def test_other_methods_get_405_in_the_oauth_error_format(
    platform_url: str, method: str, path: str, allowed: str
) -> None:
    response = httpx.request(method, platform_url + path)
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == "invalid_request"
    assert method in response.json()["error_description"]


def test_head_answers_the_get_headers_without_a_body(platform_url: str) -> None:
    get = httpx.get(f"{platform_url}/jwks.json")
    head = httpx.head(f"{platform_url}/jwks.json")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.headers["content-type"] == "application/jwk-set+json"


# FastAPI warns that /authorize and /userinfo (one function each for GET and POST) share an
# operation id; that is about those routes, not the ones documented here.
@pytest.mark.filterwarnings("ignore:Duplicate Operation ID")
def test_the_schema_documents_the_lean_endpoints(platform_url: str) -> None:
    paths = httpx.get(f"{platform_url}/openapi.json").json()["paths"]
    assert set(paths["/token"]) == {"post"}
    assert set(paths["/introspect"]) == {"post"}
    assert set(paths["/jwks.json"]) == {"get"}
    assert set(paths["/.well-known/openid-configuration"]) == {"get"}
    token = paths["/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    assert {"200", "400", "401"} <= set(token["responses"])


def _call(app: FastPath, scope: dict[str, Any]) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_non_http_scopes_and_unknown_paths_reach_the_inner_app() -> None:
    reached: list[str] = []

    async def inner(scope: Scope, _receive: Receive, _send: Send) -> None:
        reached.append(f"{scope['type']} {scope.get('path', '')}")

    async def handler(_request: object) -> Answer:
        return Answer(b"{}")

    app = FastPath(inner, routes=[FastRoute("/x", frozenset({"GET"}), handler, {})])
    _call(app, {"type": "lifespan"})
    _call(app, {"type": "websocket", "path": "/x"})
    _call(app, {"type": "http", "method": "GET", "path": "/y", "headers": []})
    answered = _call(app, {"type": "http", "method": "GET", "path": "/x", "headers": []})
    assert reached == ["lifespan ", "websocket /x", "http /y"]
    assert answered[0]["status"] == 200 and answered[1]["body"] == b"{}"


def test_a_route_can_answer_wrong_methods_in_its_own_format() -> None:
    async def inner(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise AssertionError("the route's path must not fall through")

    async def handler(_request: object) -> Answer:
        return Answer(b"{}")

    def errcode_405(method: str, allowed: frozenset[str]) -> Answer:
        return Answer(b'{"errcode":-1,"errmsg":"' + method.encode() + b'"}', status=405)

    route = FastRoute("/x", frozenset({"GET"}), handler, {}, wrong_method=errcode_405)
    sent = _call(FastPath(inner, routes=[route]), {"type": "http", "method": "PUT", "path": "/x"})
    assert sent[0]["status"] == 405 and sent[1]["body"] == b'{"errcode":-1,"errmsg":"PUT"}'
