"""The run-consent screen says who asks, for what, as whom, and what is shared."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from sqlalchemy import update

from miniport.platform.registry.models import HostApp, MiniProgram
from miniport.platform.runtime import PlatformRuntime
from tests.factories import PASSWORD, World, build_world
from tests.support.html_forms import form_with
from tests.support.oidc import AuthorizeParams, Browser

LOGO = "http://127.0.0.1:9/static/xhs-logo.png"
ICON = "http://127.0.0.1:9/static/gucci-icon.png"


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    built = build_world(runtime)
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(HostApp).where(HostApp.client_id == built.client_id).values(logo_url=LOGO)
        )
        session.execute(
            update(MiniProgram).where(MiniProgram.appid == built.appid).values(icon_url=ICON)
        )
    return built


def _consent_page(platform_url: str, world: World, lang: str | None = None) -> tuple[Browser, str]:
    browser = Browser(platform_url)
    params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
    query = params.query()
    if lang:
        browser.client.get("/signin", params={"lang": lang})
    page = browser.follow(browser.client.get("/authorize?" + urlencode(query)))
    page = browser.sign_in(page, world.username, PASSWORD)
    assert page.status_code == 200, page.text[:500]
    return browser, page.text


def test_chinese_consent_screen(platform_url: str, world: World) -> None:
    browser, html = _consent_page(platform_url, world)
    try:
        assert "小红书申请以你的微信身份运行小程序" in html
        assert "GUCCI古驰线上旗舰店" in html
        images = {attrs.get("src") for tag, attrs in _elements(html) if tag == "img"}
        assert {LOGO, ICON} <= images
        # Exactly what is shared, and what is not.
        assert "openid" in html and "unionid" in html
        assert "提供给小红书：仅小红书可见的标识" in html
        assert "不含昵称、头像、手机号" in html
        # Who is signed in, and a way out.
        assert "当前登录：林（@lin）" in html
        signout = form_with(html, "next")
        assert signout.action == "/signout"
        assert signout.fields["next"].startswith("/authorize")
        assert "不是你？退出登录" in html

        consent = form_with(html, "decision")
        assert (consent.method, consent.action) == ("post", "/authorize/consent")
        assert consent.buttons["decision"] == ["allow", "deny"]
        assert consent.fields["request"]
        assert consent.fields["csrf_token"]
        testids = {attrs.get("data-testid"): attrs for tag, attrs in _elements(html)}
        assert testids["consent-allow"]["value"] == "allow"
        assert testids["consent-deny"]["value"] == "deny"
    finally:
        browser.close()


def test_english_consent_screen(platform_url: str, world: World) -> None:
    browser, html = _consent_page(platform_url, world, lang="en")
    try:
        assert "Xiaohongshu requests to run the mini program with your WeChat identity" in html
        assert "GUCCI Online Flagship Store" in html
        assert "Not you? Sign out" in html
        assert ">Allow<" in html and ">Deny<" in html
    finally:
        browser.close()


def test_consent_page_cannot_be_framed_or_cached(platform_url: str, world: World) -> None:
    browser = Browser(platform_url)
    try:
        params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
        page = browser.follow(browser.client.get("/authorize?" + urlencode(params.query())))
        page = browser.sign_in(page, world.username, PASSWORD)
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
    finally:
        browser.close()


def test_not_you_signs_out_and_comes_back(platform_url: str, world: World) -> None:
    browser, html = _consent_page(platform_url, world)
    try:
        signout = form_with(html, "next")
        response = browser.client.post(
            "/signout",
            data={"csrf_token": signout.fields["csrf_token"], "next": signout.fields["next"]},
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=%2Fauthorize")
        page = browser.client.get(response.headers["location"])
        assert 'name="password"' in page.text  # signed out: the sign-in form...
        back = browser.sign_in(page, world.username, PASSWORD)
        assert "小红书申请以你的微信身份运行小程序" in back.text  # ...then the same request
    finally:
        browser.close()
