"""A person signs up, signs in and out; the session cookie is safe and dies server-side."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from sqlalchemy import func, select
from starlette.responses import Response

from miniport.common.tokens import digest
from miniport.platform.accounts.models import BrowserSession, User
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.deps import SESSION_COOKIE
from miniport.platform.web.routes.accounts import set_session_cookie
from tests.conftest import make_platform_settings
from tests.platform.accounts.pages import csrf_of, sign_in, sign_up
from tests.platform.conftest import Account


def _set_cookie(response: httpx.Response | Response, name: str) -> str:
    if isinstance(response, httpx.Response):
        headers = response.headers.get_list("set-cookie")
    else:
        headers = response.headers.getlist("set-cookie")
    for header in headers:
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no Set-Cookie for {name} in {headers}")


def _attributes(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def _sessions_of(runtime: PlatformRuntime, user_id: int) -> list[BrowserSession]:
    with runtime.sessions() as session:
        return list(
            session.scalars(select(BrowserSession).where(BrowserSession.user_id == user_id))
        )


def test_sign_up_signs_in_with_a_safe_session_cookie(
    web: httpx.Client, runtime: PlatformRuntime
) -> None:
    response = sign_up(web, "Lin.Xiao", "a long passphrase", display_name="林晓")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/authorizations"

    header = _set_cookie(response, SESSION_COOKIE)
    attributes = _attributes(header)
    assert {"httponly", "path", "max-age"} <= attributes
    assert "samesite=lax" in header.lower()
    assert "secure" not in attributes  # plain http in tests: a Secure cookie would be dropped

    # Only the digest is stored, never the cookie value itself.
    value = web.cookies[SESSION_COOKIE]
    with runtime.sessions() as session:
        user = session.scalars(select(User).where(User.username == "lin.xiao")).one()
        assert user.display_name == "林晓"
        stored = session.scalars(select(BrowserSession)).one()
    assert stored.digest == digest(value) != value
    assert stored.user_id == user.id
    hours = runtime.settings.browser_session_hours
    assert abs((stored.expires_at - stored.auth_time) - dt.timedelta(hours=hours)) < dt.timedelta(
        seconds=1
    )

    page = web.get("/account/authorizations")
    assert page.status_code == 200
    assert "林晓" in page.text and "@lin.xiao" in page.text


def test_sign_up_problems_are_explained(web: httpx.Client, account: Account) -> None:
    taken = sign_up(web, account.username.upper(), "another long one")
    assert taken.status_code == 409
    assert "该用户名已被占用" in taken.text
    bad_name = sign_up(web, "no spaces please", "another long one")
    assert bad_name.status_code == 422
    assert "用户名须为 3–32 位" in bad_name.text
    short = sign_up(web, "shorty", "1234567")
    assert short.status_code == 422
    assert "密码长度须为 8–256" in short.text
    assert SESSION_COOKIE not in web.cookies


def test_secure_flag_follows_https_base_url(tmp_path: Path) -> None:
    for base_url, secure in (("https://id.example.com", True), ("http://127.0.0.1:1", False)):
        settings = make_platform_settings(tmp_path, base_url=base_url)
        response = Response()
        set_session_cookie(response, "value", settings=settings)
        header = _set_cookie(response, SESSION_COOKIE)
        assert ("secure" in _attributes(header)) is secure, base_url
        assert "httponly" in _attributes(header)
        assert "samesite=lax" in header.lower()


def test_sign_in_and_out(web: httpx.Client, runtime: PlatformRuntime, account: Account) -> None:
    response = sign_in(web, account.username, account.password)
    assert response.status_code == 303
    cookie = web.cookies[SESSION_COOKIE]
    assert len(_sessions_of(runtime, account.user_id)) == 1
    assert web.get("/account/authorizations").status_code == 200

    page = web.get("/account/authorizations")
    signed_out = web.post("/signout", data={"csrf_token": csrf_of(page)})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/signin"
    assert "max-age=0" in _set_cookie(signed_out, SESSION_COOKIE).lower()
    assert _sessions_of(runtime, account.user_id) == []

    # A copy of the old cookie (say, stolen earlier) no longer signs anyone in.
    with httpx.Client(base_url=str(web.base_url), cookies={SESSION_COOKIE: cookie}) as copy:
        replay = copy.get("/account/authorizations")
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/signin")


def test_wrong_password_says_so_and_signs_nobody_in(
    web: httpx.Client, runtime: PlatformRuntime, account: Account
) -> None:
    for username in (account.username, "nobody-here"):
        response = sign_in(web, username, "not the password")
        assert response.status_code == 422
        assert "用户名或密码错误" in response.text
        assert SESSION_COOKIE not in web.cookies
    # The username stays filled in, the password does not come back.
    assert 'value="nobody-here"' in response.text
    assert "not the password" not in response.text
    assert _sessions_of(runtime, account.user_id) == []


def test_signed_in_browser_skips_the_form_unless_reauth(
    web: httpx.Client, runtime: PlatformRuntime, account: Account
) -> None:
    sign_in(web, account.username, account.password)
    skipped = web.get("/signin", params={"next": "/authorize/resume?request=abc"})
    assert skipped.status_code == 303
    assert skipped.headers["location"] == "/authorize/resume?request=abc"

    (first,) = _sessions_of(runtime, account.user_id)
    again = web.get("/signin", params={"reauth": "1", "next": "/somewhere"})
    assert again.status_code == 200
    assert 'name="password"' in again.text
    assert "请再次输入密码" in again.text
    assert f'value="{account.username}"' in again.text

    response = sign_in(web, account.username, account.password, next_path="/somewhere")
    assert response.headers["location"] == "/somewhere"
    (second,) = _sessions_of(runtime, account.user_id)
    # A new session with a fresh auth_time replaced the old one (no session fixation).
    assert second.digest != first.digest
    assert second.auth_time > first.auth_time


def test_login_hint_fills_in_the_username(web: httpx.Client) -> None:
    page = web.get("/signin", params={"login_hint": "hua"})
    assert 'name="username" value="hua"' in page.text
    too_long = web.get("/signin", params={"login_hint": "h" * 500})
    assert too_long.status_code == 200
    assert 'name="username" value=""' in too_long.text


def test_session_rows_are_counted_once_per_browser(
    platform_url: str, runtime: PlatformRuntime, account: Account
) -> None:
    with httpx.Client(base_url=platform_url) as phone, httpx.Client(base_url=platform_url) as pc:
        sign_in(phone, account.username, account.password)
        sign_in(pc, account.username, account.password)
        assert len(_sessions_of(runtime, account.user_id)) == 2
        page = phone.get("/account/authorizations")
        phone.post("/signout", data={"csrf_token": csrf_of(page)})
        # Signing out one browser leaves the other one signed in.
        assert pc.get("/account/authorizations").status_code == 200
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BrowserSession)) == 1
