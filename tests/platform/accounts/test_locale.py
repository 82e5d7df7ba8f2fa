"""Pages speak Chinese by default and English on request, remembered per browser."""

from __future__ import annotations

import httpx
import pytest

from miniport.common.i18n import LOCALE_COOKIE, negotiate_locale, parse_accept_language
from tests.platform.accounts.pages import sign_in
from tests.platform.conftest import Account


def test_chinese_by_default(web: httpx.Client) -> None:
    page = web.get("/signin")
    assert '<html lang="zh-CN">' in page.text
    assert "登录微信" in page.text
    assert 'href="?lang=en"' in page.text  # the language switch


def test_lang_parameter_switches_and_is_remembered(web: httpx.Client) -> None:
    page = web.get("/signin", params={"lang": "en"})
    assert '<html lang="en">' in page.text
    assert "Sign in to WeChat" in page.text
    assert "Username" in page.text and "用户名" not in page.text
    assert "简体中文" in page.text  # the way back, in its own language
    cookie = next(h for h in page.headers.get_list("set-cookie") if h.startswith(LOCALE_COOKIE))
    assert cookie.startswith(f"{LOCALE_COOKIE}=en;")

    assert "Create your WeChat account" in web.get("/signup").text  # from the cookie
    assert "注册微信账号" in web.get("/signup", params={"lang": "zh_CN"}).text
    assert "注册微信账号" in web.get("/signup").text


def test_accept_language_is_used_without_a_choice(platform_url: str) -> None:
    english = httpx.get(platform_url + "/signin", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "Sign in to WeChat" in english.text
    chinese = httpx.get(
        platform_url + "/signin", headers={"Accept-Language": "fr, zh-Hans;q=0.9, en;q=0.5"}
    )
    assert "登录微信" in chinese.text
    unknown = httpx.get(platform_url + "/signin", headers={"Accept-Language": "fr, de;q=0.5"})
    assert "登录微信" in unknown.text


def test_messages_from_code_are_translated(web: httpx.Client, account: Account) -> None:
    web.get("/signin", params={"lang": "en"})
    response = sign_in(web, account.username, "wrong password")
    assert "Wrong username or password." in response.text


def test_unknown_lang_is_ignored(web: httpx.Client) -> None:
    page = web.get("/signin", params={"lang": "xx"})
    assert "登录微信" in page.text
    assert not any(h.startswith(LOCALE_COOKIE) for h in page.headers.get_list("set-cookie"))


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, None, "zh_CN"),
        ("en", "zh_CN", "zh-CN", "en"),
        ("zh-CN", "en", "en", "zh_CN"),
        (None, "en", "zh-CN", "en"),
        (None, "bogus", "en-US,en;q=0.9", "en"),
        (None, None, "zh-TW;q=0.3, en;q=0.2", "zh_CN"),
        (None, None, "en;q=0, zh;q=0.1", "zh_CN"),
        (None, None, "*", "zh_CN"),
        (None, None, "en;q=abc, ;;;, =", "zh_CN"),
    ],
)
def test_negotiation_order(
    query: str | None, cookie: str | None, header: str | None, expected: str
) -> None:
    assert negotiate_locale(query=query, cookie=cookie, accept_language=header) == expected


def test_accept_language_ordering() -> None:
    assert parse_accept_language("da, en-gb;q=0.8, en;q=0.7") == ["da", "en-gb", "en"]
    assert parse_accept_language("en;q=0.5, fr") == ["fr", "en"]
