"""A user sees which host apps may run mini programs as them, and takes that back."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import httpx
import pytest

from miniport.common.clock import utcnow
from miniport.common.tokens import digest, new_secret
from miniport.platform.consent.grants import has_active_grant, remember_grant
from miniport.platform.oauth.models import IssuedToken
from miniport.platform.runtime import PlatformRuntime
from tests.factories import PASSWORD, World, build_world
from tests.platform.accounts.pages import csrf_of, is_html_page, sign_in
from tests.support.oidc import AuthorizeParams, Browser


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)


def _grant(runtime: PlatformRuntime, world: World, client_id: str, appids: list[str]) -> None:
    with runtime.sessions() as session, session.begin():
        remember_grant(
            session, user_id=world.user_id, client_id=client_id, appids=appids, now=utcnow()
        )


def _live_token(runtime: PlatformRuntime, world: World, client_id: str, kind: str) -> str:
    return digest(_live_token_value(runtime, world, client_id, kind))


def _live_token_value(runtime: PlatformRuntime, world: World, client_id: str, kind: str) -> str:
    value = new_secret()
    with runtime.sessions() as session, session.begin():
        session.add(
            IssuedToken(
                digest=digest(value),
                kind=kind,
                family="f-" + new_secret(8),
                client_id=client_id,
                user_id=world.user_id,
                scope="openid miniprogram",
                expires_at=utcnow() + dt.timedelta(hours=1),
            )
        )
    return value


def _is_revoked(runtime: PlatformRuntime, token_digest: str) -> bool:
    with runtime.sessions() as session:
        token = session.get(IssuedToken, token_digest)
        assert token is not None
        return token.revoked_at is not None


def test_requires_sign_in(web: httpx.Client, world: World) -> None:
    response = web.get("/account/authorizations")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?" + urlencode(
        {"next": "/account/authorizations"}
    )
    page = web.get("/signin?reauth=1")
    revoke = web.post(
        f"/account/authorizations/{world.client_id}/revoke", data={"csrf_token": csrf_of(page)}
    )
    assert revoke.status_code == 303
    assert revoke.headers["location"].startswith("/signin?")


def test_lists_hosts_and_mini_programs(
    web: httpx.Client, runtime: PlatformRuntime, world: World
) -> None:
    empty = sign_in(web, world.username, PASSWORD)
    page = web.get(empty.headers["location"])
    assert "你还没有允许任何应用" in page.text

    _grant(runtime, world, world.client_id, [world.appid, world.second_appid])
    _grant(runtime, world, world.other_client_id, [world.appid])
    page = web.get("/account/authorizations")
    assert page.status_code == 200
    assert page.text.count('data-testid="grant"') == 2
    assert "小红书" in page.text and "京东" in page.text
    assert "GUCCI古驰线上旗舰店" in page.text and "古驰美妆" in page.text
    assert "授权于" in page.text and "首次运行于" in page.text and "最近运行于" in page.text
    assert 'href="?lang=en"' in page.text

    english = web.get("/account/authorizations", params={"lang": "en"})
    assert "Xiaohongshu" in english.text and "GUCCI Online Flagship Store" in english.text
    assert "Allowed on" in english.text


def test_revoking_kills_tokens_at_once(
    web: httpx.Client, runtime: PlatformRuntime, world: World
) -> None:
    _grant(runtime, world, world.client_id, [world.appid])
    _grant(runtime, world, world.other_client_id, [world.appid])
    access = _live_token(runtime, world, world.client_id, "access")
    refresh = _live_token(runtime, world, world.client_id, "refresh")
    other_host = _live_token(runtime, world, world.other_client_id, "access")
    sign_in(web, world.username, PASSWORD)

    page = web.get("/account/authorizations")
    response = web.post(
        f"/account/authorizations/{world.client_id}/revoke", data={"csrf_token": csrf_of(page)}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account/authorizations?revoked=1"
    assert _is_revoked(runtime, access) and _is_revoked(runtime, refresh)
    assert not _is_revoked(runtime, other_host)
    with runtime.sessions() as session:
        assert not has_active_grant(session, user_id=world.user_id, client_id=world.client_id)

    after = web.get(response.headers["location"])
    assert "授权已撤销" in after.text
    assert "小红书" not in after.text and "京东" in after.text


def test_a_cached_run_ticket_dies_at_once(
    web: httpx.Client, platform_url: str, runtime: PlatformRuntime, world: World
) -> None:
    _grant(runtime, world, world.client_id, [world.appid])
    ticket = _live_token_value(runtime, world, world.client_id, "access")
    auth = (world.client_id, world.client_secret)

    def active() -> bool:
        response = httpx.post(platform_url + "/introspect", data={"token": ticket}, auth=auth)
        assert response.status_code == 200
        return bool(response.json()["active"])

    assert active() and active()  # the second look-up is served from the token cache
    sign_in(web, world.username, PASSWORD)
    page = web.get("/account/authorizations")
    web.post(
        f"/account/authorizations/{world.client_id}/revoke", data={"csrf_token": csrf_of(page)}
    )
    assert not active()


def test_revoking_something_not_granted_is_a_404_page(web: httpx.Client, world: World) -> None:
    sign_in(web, world.username, PASSWORD)
    page = web.get("/account/authorizations")
    for client_id in (world.client_id, "no-such-client", "%E5%8F%A4"):
        response = web.post(
            f"/account/authorizations/{client_id}/revoke", data={"csrf_token": csrf_of(page)}
        )
        assert response.status_code == 404
        assert is_html_page(response) and "授权不存在" in response.text


def test_after_revoking_the_host_must_ask_again(
    platform_url: str, runtime: PlatformRuntime, world: World
) -> None:
    browser = Browser(platform_url)
    try:
        params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
        done = browser.authorize(params.query(), username=world.username, password=PASSWORD)
        assert done.headers["location"].startswith(world.redirect_uri)
        # Remembered: a second run goes straight back with a code, no consent page.
        again = browser.follow(browser.client.get("/authorize?" + urlencode(params.query())))
        assert again.is_redirect and "code=" in again.headers["location"]

        page = browser.client.get("/account/authorizations")
        browser.client.post(
            f"/account/authorizations/{world.client_id}/revoke",
            data={"csrf_token": csrf_of(page)},
        )
        asked = browser.follow(browser.client.get("/authorize?" + urlencode(params.query())))
        assert asked.status_code == 200
        assert "小红书申请以你的微信身份运行小程序" in asked.text
    finally:
        browser.close()
