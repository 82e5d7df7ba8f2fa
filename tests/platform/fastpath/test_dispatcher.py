"""The lean path answers the hot endpoints itself and hands everything else to FastAPI."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from starlette.types import Message, Receive, Scope, Send

from miniport.platform.ports.states import PortNotFound
from miniport.platform.web.fastpath import Answer, FastPath, FastRoute, PlatformApp

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


def test_a_failing_handler_is_logged_and_answered_in_its_family_format(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def inner(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise AssertionError("the route's path must not fall through")

    async def broken(_request: object) -> Answer:
        raise RuntimeError("a bug")

    errcode_failure = Answer(b'{"errcode":-1,"errmsg":"system error"}', status=500)
    routes = [
        FastRoute("/oauth", frozenset({"GET"}), broken, {}),
        FastRoute("/mp", frozenset({"GET"}), broken, {}, failure=errcode_failure),
    ]
    app = FastPath(inner, routes=routes)
    oauth = _call(app, {"type": "http", "method": "GET", "path": "/oauth", "headers": []})
    assert oauth[0]["status"] == 500
    assert json.loads(oauth[1]["body"])["error"] == "server_error"
    assert b"a bug" not in oauth[1]["body"]  # no internals in the answer
    mp = _call(app, {"type": "http", "method": "GET", "path": "/mp", "headers": []})
    assert mp[0]["status"] == 500 and mp[1]["body"] == errcode_failure.body
    assert [r.exc_info[0] for r in caplog.records if r.exc_info] == [RuntimeError, RuntimeError]


def test_port_errors_are_answered_in_the_governance_format() -> None:
    async def inner(_scope: Scope, _receive: Receive, _send: Send) -> None:
        raise AssertionError("the route's path must not fall through")

    async def refuse(_request: object) -> Answer:
        raise PortNotFound("no such port")

    app = FastPath(inner, routes=[FastRoute("/x", frozenset({"GET"}), refuse, {})])
    sent = _call(app, {"type": "http", "method": "GET", "path": "/x", "headers": []})
    assert sent[0]["status"] == 404
    assert json.loads(sent[1]["body"]) == {
        "error": "port_not_found",
        "error_description": "no such port",
    }


def test_hot_paths_are_answered_before_any_of_fastapi_runs() -> None:
    # The point of the lean path: FastAPI's entry (telemetry checks, Starlette's error and
    # body-limit middlewares, the app's own middlewares) costs more than a hot endpoint.
    seen: list[str] = []

    class Recorder:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                seen.append(scope["path"])
            await self.app(scope, receive, send)

    async def handler(_request: object) -> Answer:
        return Answer(b'{"hot":true}')

    app = PlatformApp()
    app.add_middleware(Recorder)

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        return {"hot": False}

    app.add_fast_routes([FastRoute("/hot", frozenset({"GET"}), handler, {})])

    async def fetch(path: str) -> Any:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return (await client.get(path)).json()

    assert asyncio.run(fetch("/hot")) == {"hot": True}
    assert asyncio.run(fetch("/slow")) == {"hot": False}
    assert seen == ["/slow"]


def test_a_path_goes_on_the_lean_path_once() -> None:
    async def handler(_request: object) -> Answer:
        return Answer(b"{}")

    app = PlatformApp()
    app.add_fast_routes([FastRoute("/x", frozenset({"GET"}), handler, {})])
    with pytest.raises(ValueError, match="already"):
        app.add_fast_routes([FastRoute("/x", frozenset({"POST"}), handler, {})])
