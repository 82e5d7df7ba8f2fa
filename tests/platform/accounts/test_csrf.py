"""Every form of the account pages refuses a post without this browser's own CSRF token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from miniport.common.clock import utcnow
from miniport.common.csrf import (
    CSRF_COOKIE,
    CsrfCookieMiddleware,
    CsrfError,
    csrf_input,
    csrf_token,
    token_for,
    verify_csrf,
)
from miniport.platform.accounts.models import BrowserSession, User
from miniport.platform.consent.grants import has_active_grant, remember_grant
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.deps import SESSION_COOKIE
from tests.factories import PASSWORD, World, build_world
from tests.platform.accounts.pages import csrf_of, is_html_page, sign_in
from tests.support.servers import free_port, serve_in_thread

# (name, how to get a token in this browser) for each bad-token case.
TokenCase = Callable[[httpx.Client, str], dict[str, str]]


def _missing(_client: httpx.Client, _platform_url: str) -> dict[str, str]:
    return {}


def _wrong(client: httpx.Client, _platform_url: str) -> dict[str, str]:
    real = csrf_of(client.get("/signin?reauth=1"))
    return {"csrf_token": real[:-2] + ("AA" if not real.endswith("AA") else "BB")}


def _from_another_browser(_client: httpx.Client, platform_url: str) -> dict[str, str]:
    # A valid token, but minted for someone else's cookie (what a forging site could obtain).
    with httpx.Client(base_url=platform_url) as other:
        return {"csrf_token": csrf_of(other.get("/signin"))}


def _non_ascii(_client: httpx.Client, _platform_url: str) -> dict[str, str]:
    return {"csrf_token": "令牌" * 20}


CASES = [_missing, _wrong, _from_another_browser, _non_ascii]


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 403, response.text[:500]
    assert is_html_page(response)
    assert "页面已失效" in response.text
    assert "请返回并刷新页面后重试" in response.text


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__.strip("_"))
def test_sign_up_and_sign_in_refuse_bad_tokens(
    web: httpx.Client, platform_url: str, runtime: PlatformRuntime, world: World, case: TokenCase
) -> None:
    web.get("/signin")  # the browser holds its CSRF cookie
    signup = web.post(
        "/signup",
        data={"username": "newcomer", "password": "long enough pw", **case(web, platform_url)},
    )
    _assert_refused(signup)
    signin = web.post(
        "/signin",
        data={"username": world.username, "password": PASSWORD, **case(web, platform_url)},
    )
    _assert_refused(signin)
    assert SESSION_COOKIE not in web.cookies
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1
        assert session.scalar(select(func.count()).select_from(BrowserSession)) == 0


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__.strip("_"))
def test_sign_out_and_revoke_refuse_bad_tokens(
    web: httpx.Client, platform_url: str, runtime: PlatformRuntime, world: World, case: TokenCase
) -> None:
    with runtime.sessions() as session, session.begin():
        remember_grant(
            session,
            user_id=world.user_id,
            client_id=world.client_id,
            appids=[world.appid],
            now=utcnow(),
        )
    assert sign_in(web, world.username, PASSWORD).status_code == 303

    _assert_refused(web.post("/signout", data=case(web, platform_url)))
    _assert_refused(
        web.post(f"/account/authorizations/{world.client_id}/revoke", data=case(web, platform_url))
    )
    # Still signed in, still granted.
    assert web.get("/account/authorizations").status_code == 200
    with runtime.sessions() as session:
        assert has_active_grant(session, user_id=world.user_id, client_id=world.client_id)


def test_no_cookie_at_all_is_refused(platform_url: str, world: World) -> None:
    # First contact: the middleware mints a cookie during this very request, but the
    # browser never had it, so no form could carry its token.
    with httpx.Client(base_url=platform_url) as fresh:
        token = csrf_of(httpx.get(platform_url + "/signin"))
        response = fresh.post(
            "/signin", data={"username": world.username, "password": PASSWORD, "csrf_token": token}
        )
    _assert_refused(response)


def test_english_readers_get_an_english_explanation(web: httpx.Client) -> None:
    web.get("/signin")
    response = web.post("/signout?lang=en", data={})
    assert response.status_code == 403
    assert "This form has expired" in response.text


# --- the middleware on its own (shared by every service) ---------------------------------

KEY = b"k" * 32


def _page(request: Request) -> PlainTextResponse:
    return PlainTextResponse(csrf_token(request) + "\n" + str(csrf_input(request)))


async def _check(request: Request) -> PlainTextResponse:
    form = await request.form()
    submitted = form.get("csrf_token")
    try:
        verify_csrf(request, submitted if isinstance(submitted, str) else None, KEY)
    except CsrfError:
        return PlainTextResponse("refused", status_code=403)
    return PlainTextResponse("ok")


def _app(*, secure: bool) -> Starlette:
    app = Starlette(routes=[Route("/", _page), Route("/check", _check, methods=["POST"])])
    app.add_middleware(CsrfCookieMiddleware, key=KEY, secure=secure, session_cookies=["sid"])
    return app


@pytest.fixture
def serve() -> Iterator[Callable[[Starlette], str]]:
    with ExitStack() as stack:
        yield lambda app: stack.enter_context(serve_in_thread(app, free_port()))


@pytest.mark.parametrize("secure", [False, True])
def test_middleware_cookie_attributes(serve: Callable[[Starlette], str], secure: bool) -> None:
    response = httpx.get(serve(_app(secure=secure)) + "/")
    header = response.headers["set-cookie"]
    assert header.startswith(CSRF_COOKIE + "=")
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    assert {"httponly", "samesite=lax", "path=/"} <= attributes
    assert ("secure" in attributes) is secure


def test_middleware_cookie_is_usable_by_the_same_request(
    serve: Callable[[Starlette], str],
) -> None:
    with httpx.Client(base_url=serve(_app(secure=False))) as client:
        first = client.get("/")
        value = client.cookies[CSRF_COOKIE]
        token = first.text.splitlines()[0]
        assert token == token_for(KEY, value, [""])  # no session yet
        assert f'name="csrf_token" value="{token}"' in first.text

        again = client.get("/")
        assert "set-cookie" not in again.headers  # one cookie per browser, kept
        assert again.text.splitlines()[0] == token
        assert client.post("/check", data={"csrf_token": token}).text == "ok"
        assert client.post("/check", data={"csrf_token": token + "x"}).status_code == 403
        assert client.post("/check", data={}).status_code == 403


def test_middleware_binds_tokens_to_the_session_cookie(
    serve: Callable[[Starlette], str],
) -> None:
    with httpx.Client(base_url=serve(_app(secure=False))) as client:
        signed_out = client.get("/").text.splitlines()[0]
        client.cookies.set("sid", "alice")
        as_alice = client.get("/").text.splitlines()[0]
        assert as_alice == token_for(KEY, client.cookies[CSRF_COOKIE], ["alice"])
        assert as_alice != signed_out
        assert client.post("/check", data={"csrf_token": as_alice}).text == "ok"
        assert client.post("/check", data={"csrf_token": signed_out}).status_code == 403
        client.cookies.set("sid", "bob")
        assert client.post("/check", data={"csrf_token": as_alice}).status_code == 403


def test_token_parts_cannot_be_shifted_between_cookie_and_session() -> None:
    assert token_for(KEY, "ab", ["c"]) != token_for(KEY, "a", ["bc"])
    assert token_for(KEY, "a", ["", "b"]) != token_for(KEY, "a", ["b", ""])


def test_middleware_replaces_a_malformed_cookie(serve: Callable[[Starlette], str]) -> None:
    response = httpx.get(serve(_app(secure=False)) + "/", headers={"Cookie": "mp_csrf=short"})
    header = response.headers["set-cookie"]
    assert header.startswith(CSRF_COOKIE + "=")
    assert len(header.split(";")[0].split("=", 1)[1]) == 43
