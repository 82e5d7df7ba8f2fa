"""A CSRF token is good only for the session it was rendered for (issue 11 §3).

The attack: a sibling subdomain (or anyone on plain http) plants the attacker's own
``mp_csrf`` cookie in the victim's browser. The attacker holds a genuine token for that
cookie, so a cross-site form posting it beside the victim's ``mp_session`` must still fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from miniport.common.csrf import CSRF_COOKIE
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.deps import SESSION_COOKIE
from tests.factories import PASSWORD, World, build_world
from tests.platform.accounts.pages import csrf_of, is_html_page, sign_in
from tests.platform.conftest import Account
from tests.support.oidc import AuthorizeParams, Browser


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)


@dataclass(frozen=True)
class Forged:
    """What an attacker holds: their own CSRF cookie, its token, a sealed authorize request."""

    csrf_cookie: str
    token: str
    sealed_request: str


def _attacker_kit(platform_url: str, world: World, account: Account | None) -> Forged:
    """Start the host's authorization as the attacker would, signed in as themselves or not."""
    with httpx.Client(base_url=platform_url, follow_redirects=False, timeout=10) as attacker:
        if account is not None:
            assert sign_in(attacker, account.username, account.password).status_code == 303
        params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
        # prompt=login sends even a signed-in browser to the sign-in page (and its token).
        to_signin = attacker.get("/authorize?" + urlencode(params.query(prompt="login")))
        assert to_signin.status_code == 303, to_signin.text[:500]
        next_path = parse_qs(urlsplit(to_signin.headers["location"]).query)["next"][0]
        sealed = parse_qs(urlsplit(next_path).query)["request"][0]
        page = attacker.get(to_signin.headers["location"])
        return Forged(attacker.cookies[CSRF_COOKIE], csrf_of(page), sealed)


def _victim_on_consent_page(platform_url: str, world: World) -> tuple[Browser, httpx.Response]:
    victim = Browser(platform_url)
    params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
    page = victim.follow(victim.client.get("/authorize?" + urlencode(params.query())))
    page = victim.sign_in(page, world.username, PASSWORD)
    assert 'name="decision"' in page.text, page.text[:500]
    return victim, page


@pytest.mark.parametrize("attacker_signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_consent_refuses_an_attackers_cookie_and_token_beside_the_victims_session(
    platform_url: str, world: World, account: Account, attacker_signed_in: bool
) -> None:
    forged = _attacker_kit(platform_url, world, account if attacker_signed_in else None)
    victim, consent_page = _victim_on_consent_page(platform_url, world)
    try:
        victim_session = victim.client.cookies[SESSION_COOKIE]
        attack = httpx.post(
            platform_url + "/authorize/consent",
            data={
                "csrf_token": forged.token,
                "request": forged.sealed_request,
                "decision": "allow",
            },
            headers={
                "Cookie": f"{SESSION_COOKIE}={victim_session}; {CSRF_COOKIE}={forged.csrf_cookie}"
            },
            follow_redirects=False,
        )
        assert attack.status_code == 403, (attack.status_code, attack.headers.get("location"))
        assert "code=" not in attack.headers.get("location", "")
        assert is_html_page(attack) and "页面已失效" in attack.text

        # The victim's own form, with the token rendered for their session, still works.
        back = victim.answer_consent(consent_page, "allow")
        assert back.status_code == 303
        assert back.headers["location"].startswith(world.redirect_uri + "?code=")
    finally:
        victim.close()


def test_a_token_from_before_sign_in_is_refused_after_sign_in(
    web: httpx.Client, world: World
) -> None:
    before = csrf_of(web.get("/signin"))
    signed_in = web.post(
        "/signin", data={"username": world.username, "password": PASSWORD, "csrf_token": before}
    )
    assert signed_in.status_code == 303
    session_cookie = web.cookies[SESSION_COOKIE]

    # Signing in retired the token: the same browser cannot sign out with it.
    refused = web.post("/signout", data={"csrf_token": before})
    assert refused.status_code == 403
    assert web.cookies[SESSION_COOKIE] == session_cookie
    assert web.get("/account/authorizations").status_code == 200

    # Pages rendered for the new session carry a token that works.
    fresh = csrf_of(web.get("/account/authorizations"))
    assert fresh != before
    assert web.post("/signout", data={"csrf_token": fresh}).status_code == 303


def test_a_token_rendered_for_one_session_is_refused_with_another(
    platform_url: str, world: World, account: Account
) -> None:
    with (
        httpx.Client(base_url=platform_url, timeout=10) as first,
        httpx.Client(base_url=platform_url, timeout=10) as second,
    ):
        assert sign_in(first, world.username, PASSWORD).status_code == 303
        assert sign_in(second, account.username, account.password).status_code == 303
        token = csrf_of(first.get("/account/authorizations"))
        # The same CSRF cookie and its token, but the other user's session.
        cookies = (
            f"{SESSION_COOKIE}={second.cookies[SESSION_COOKIE]}; "
            f"{CSRF_COOKIE}={first.cookies[CSRF_COOKIE]}"
        )
        refused = httpx.post(
            platform_url + "/signout", data={"csrf_token": token}, headers={"Cookie": cookies}
        )
        assert refused.status_code == 403
        assert second.get("/account/authorizations", follow_redirects=False).status_code == 200
