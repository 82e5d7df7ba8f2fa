"""The platform stays right as time passes: every cache, reload, window, lifetime and retry
that depends on elapsed time, moved past its interval on a running server.

Each test starts a ``Timeline`` before the server exists, lets the interval pass in an
instant, then uses the endpoints a partner or a person would and checks what they would
notice: a stale entry gone, a limit lifted, a code or token refused with the right error, a
trial port closed, a webhook delivered. Caches are tested with changes made where no change
bus reaches (``silent_sessions``): the bus clears them at once, so elapsed time is the only
thing that can. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import delete, update

from miniport.common.clock import epoch
from miniport.common.tokens import digest
from miniport.platform.keys.keyring import rotate
from miniport.platform.miniprogram_api.credentials import ACCESS_TOKEN_LIFETIME, OVERLAP
from miniport.platform.miniprogram_api.launch import LAUNCH_CODE_LIFETIME
from miniport.platform.miniprogram_api.models import UrlLink
from miniport.platform.miniprogram_api.quotas import day_of
from miniport.platform.miniprogram_api.ratelimit import EXCHANGES_PER_MINUTE, WINDOW_SECONDS
from miniport.platform.miniprogram_api.urllink import URL_LINK_DAILY_QUOTA
from miniport.platform.oauth.authorize import CODE_LIFETIME, SEALED_REQUEST_LIFETIME
from miniport.platform.oauth.models import IssuedToken
from miniport.platform.oauth.token_store import REFRESH_TOKEN_LIFETIME
from miniport.platform.ports.models import DailyCounter
from miniport.platform.ports.states import Actor
from miniport.platform.registry import admin, partner_webhooks
from miniport.platform.registry.models import MiniProgram
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.deps import SESSION_COOKIE
from miniport.platform.webhooks.delivery import RETRY_DELAYS
from tests.factories import PASSWORD, World, build_world
from tests.platform.accounts.pages import sign_in
from tests.platform.webhooks.receiver import Receiver, running_receiver
from tests.support.oidc import AuthorizeParams, Browser, query_of
from tests.support.platform_server import (
    BACKENDS,
    database_for,
    platform_settings,
    serving_platform,
    silent_sessions,
)
from tests.support.timeline import Timeline, travelling

T = TypeVar("T")
USER_KEY = "host-user-time"


@dataclass
class Platform:
    url: str
    runtime: PlatformRuntime
    world: World
    time: Timeline
    http: httpx.Client

    @property
    def database_url(self) -> str:
        return self.runtime.settings.database_url


@pytest.fixture(params=BACKENDS)
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    # Time travels from before the server exists, so that every clock it reads agrees.
    with travelling() as timeline, database_for(request, request.param) as database_url:
        settings = platform_settings(
            tmp_path / "platform",
            database_url,
            # The background jobs wake on real time: often, so a test waits little for them.
            trial_expiry_interval=0.1,
            webhook_poll_seconds=0.1,
        )
        with (
            serving_platform(settings) as (url, runtime),
            httpx.Client(base_url=url, timeout=10) as http,
        ):
            yield Platform(url, runtime, build_world(runtime), timeline, http)


# --- what partners and people do ----------------------------------------------------------------


def eventually(read: Callable[[], T], until: Callable[[T], bool], *, within: float = 5.0) -> T:
    """Read again until ``until`` holds: for what a background thread does in real time."""
    deadline = time.monotonic() + within
    value = read()
    while not until(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"still {value!r} after {within} s")
        time.sleep(0.05)
        value = read()
    return value


def authorization_code(
    platform: Platform, appids: list[str] | None = None, **query: str
) -> tuple[str, str]:
    """Sign in and allow on the platform's pages, as a browser would: (code, verifier)."""
    world = platform.world
    params = AuthorizeParams.new(world.client_id, world.redirect_uri, None)
    details = [
        {"type": "miniprogram_run", "appid": a, "path": "/pages/index"} for a in appids or []
    ]
    extra = {"authorization_details": json.dumps(details), "scope": "openid miniprogram"}
    browser = Browser(platform.url)
    try:
        back = browser.authorize(
            params.query(**(extra if details else {}), **query),
            username=world.username,
            password=PASSWORD,
        )
    finally:
        browser.close()
    assert back.is_redirect and back.headers["location"].startswith(world.redirect_uri), back.text
    return query_of(back.headers["location"])["code"], params.verifier


def exchange(platform: Platform, code: str, verifier: str) -> httpx.Response:
    world = platform.world
    return platform.http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": world.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(world.client_id, world.client_secret),
    )


def user_tokens(platform: Platform) -> dict[str, Any]:
    """A run ticket for the world's first mini program, with its refresh token."""
    code, verifier = authorization_code(platform, [platform.world.appid])
    answer = exchange(platform, code, verifier)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


def launch(platform: Platform, ticket: str) -> dict[str, Any]:
    answer = platform.http.post(
        "/wxa/launch",
        params={"access_token": ticket},
        json={"appid": platform.world.appid, "path": "/pages/index", "user_key": USER_KEY},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def launch_code(platform: Platform, ticket: str) -> str:
    body = launch(platform, ticket)
    assert body["errcode"] == 0, body
    code: str = body["code"]
    return code


def jscode2session(platform: Platform, code: str) -> dict[str, Any]:
    world = platform.world
    body: dict[str, Any] = platform.http.get(
        "/sns/jscode2session",
        params={
            "appid": world.appid,
            "secret": world.app_secret,
            "js_code": code,
            "grant_type": "authorization_code",
        },
    ).json()
    return body


def mp_token(platform: Platform, secret: str | None = None) -> dict[str, Any]:
    world = platform.world
    body: dict[str, Any] = platform.http.get(
        "/cgi-bin/token",
        params={
            "grant_type": "client_credential",
            "appid": world.appid,
            "secret": secret or world.app_secret,
        },
    ).json()
    return body


def stable_token(platform: Platform, *, force_refresh: bool = False) -> dict[str, Any]:
    world = platform.world
    body: dict[str, Any] = platform.http.post(
        "/cgi-bin/stable_token",
        json={
            "grant_type": "client_credential",
            "appid": world.appid,
            "secret": world.app_secret,
            "force_refresh": force_refresh,
        },
    ).json()
    return body


def access_token_of(answer: dict[str, Any]) -> str:
    assert "access_token" in answer, answer
    value: str = answer["access_token"]
    return value


def generate_urllink(platform: Platform, access_token: str, **body: Any) -> dict[str, Any]:
    answer: dict[str, Any] = platform.http.post(
        "/wxa/generate_urllink", params={"access_token": access_token}, json=body
    ).json()
    return answer


def host_bearer(platform: Platform) -> dict[str, str]:
    world = platform.world
    answer = platform.http.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "ports"},
        auth=(world.client_id, world.client_secret),
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": "Bearer " + answer.json()["access_token"]}


def check(platform: Platform, bearer: dict[str, str], item: str) -> dict[str, Any]:
    answer = platform.http.post(
        "/api/ports/check", json={"user_key": USER_KEY, "items": [item]}, headers=bearer
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["results"][0]
    return result


def jwks_kids(platform: Platform) -> set[str]:
    return {key["kid"] for key in platform.http.get("/jwks.json").json()["keys"]}


def kid_of(jwt: str) -> str:
    header = jwt.split(".")[0]
    kid: str = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    return kid


def brand_port(platform: Platform, brand_token: str) -> dict[str, Any]:
    """The world's first port, as the brand's API shows it."""
    answer = platform.http.get("/api/brand/ports", params={"access_token": brand_token})
    assert answer.status_code == 200, answer.text
    ports = [
        port
        for port in answer.json()["ports"]
        if port["client_id"] == platform.world.client_id and port["appid"] == platform.world.appid
    ]
    assert len(ports) == 1, answer.json()
    port: dict[str, Any] = ports[0]
    return port


def stage(platform: Platform, brand_token: str, port_id: int, **values: Any) -> None:
    body = {"rollout_percent": 100, "allow_list": [], "trial_ends_at": None}
    body |= {"daily_launch_quota": None, **values}
    answer = platform.http.post(
        f"/api/brand/ports/{port_id}/staging", params={"access_token": brand_token}, json=body
    )
    assert answer.status_code == 200, answer.text


def seconds(delta: dt.timedelta) -> float:
    return delta.total_seconds()


# --- in-memory views that refresh after an interval ---------------------------------------------


def test_keys_rotated_where_no_bus_reaches_sign_after_the_refresh_interval(
    platform: Platform,
) -> None:
    before = jwks_kids(platform)
    with silent_sessions(platform.database_url) as session:
        rotated = set(rotate(session, cipher=platform.runtime.cipher, actor=Actor.system()))
    assert jwks_kids(platform) == before  # unseen until the view is old enough to reload

    platform.time.advance(platform.runtime.settings.keys_refresh_seconds + 1)
    # The first request after the interval is a sign-in, whose token is signed inside the
    # group commit's write transaction: it must answer at once, not wait on a reload.
    code, verifier = authorization_code(platform)
    started = time.monotonic()
    answer = exchange(platform, code, verifier)
    assert answer.status_code == 200, answer.text
    assert time.monotonic() - started < 5

    served = eventually(lambda: jwks_kids(platform), lambda kids: rotated <= kids)
    assert before <= served  # what the old keys signed still verifies
    code, verifier = authorization_code(platform)
    id_token = exchange(platform, code, verifier).json()["id_token"]
    assert kid_of(id_token) in rotated


def test_a_run_ticket_revoked_where_no_bus_reaches_stops_once_the_token_cache_lapses(
    platform: Platform,
) -> None:
    ticket = user_tokens(platform)["access_token"]
    assert launch(platform, ticket)["errcode"] == 0
    with silent_sessions(platform.database_url) as session:
        session.execute(
            update(IssuedToken)
            .where(IssuedToken.digest == digest(ticket))
            .values(revoked_at=platform.time.now())
        )
    assert launch(platform, ticket)["errcode"] == 0  # the worker's cached answer, for now

    platform.time.advance(6)  # the token cache keeps an answer at most 5 s

    assert launch(platform, ticket)["errcode"] == 40001
    world = platform.world
    introspected = platform.http.post(
        "/introspect", data={"token": ticket}, auth=(world.client_id, world.client_secret)
    )
    assert introspected.json() == {"active": False}


def test_a_secret_rotated_where_no_bus_reaches_is_refused_once_the_registry_cache_lapses(
    platform: Platform,
) -> None:
    world = platform.world
    assert "access_token" in mp_token(platform)
    introspect = {"token": "not-a-token"}
    assert (
        platform.http.post(
            "/introspect", data=introspect, auth=(world.client_id, world.client_secret)
        ).status_code
        == 200
    )
    with silent_sessions(platform.database_url) as session:
        _, new_mp_secret = admin.rotate_mini_program_secret(
            session, world.appid, actor=Actor.system()
        )
        _, new_host_secret = admin.rotate_host_secret(
            session, world.client_id, actor=Actor.system()
        )
    assert "access_token" in mp_token(platform)  # the cached entry, for now

    platform.time.advance(platform.runtime.settings.registry_cache_seconds + 1)

    assert mp_token(platform)["errcode"] == 40125
    assert "access_token" in mp_token(platform, new_mp_secret)
    refused = platform.http.post(
        "/introspect", data=introspect, auth=(world.client_id, world.client_secret)
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    accepted = platform.http.post(
        "/introspect", data=introspect, auth=(world.client_id, new_host_secret)
    )
    assert accepted.status_code == 200 and accepted.json() == {"active": False}


def test_a_mini_program_renamed_where_no_bus_reaches_shows_its_name_once_cards_lapse(
    platform: Platform,
) -> None:
    bearer = host_bearer(platform)
    first = check(platform, bearer, platform.world.appid)
    assert first["open"] and first["mini_program"]["name_zh"] == "GUCCI古驰线上旗舰店"
    with silent_sessions(platform.database_url) as session:
        session.execute(
            update(MiniProgram)
            .where(MiniProgram.appid == platform.world.appid)
            .values(name_zh="GUCCI古驰官方旗舰店")
        )
    assert check(platform, bearer, platform.world.appid) == first  # cached, for now

    platform.time.advance(platform.runtime.settings.card_cache_seconds + 1)

    renamed = check(platform, bearer, platform.world.appid)
    assert renamed["open"] and renamed["mini_program"]["name_zh"] == "GUCCI古驰官方旗舰店"


def test_a_url_link_deleted_where_no_bus_reaches_stops_resolving_once_links_lapse(
    platform: Platform,
) -> None:
    token = access_token_of(mp_token(platform))
    link = generate_urllink(platform, token, path="/pages/product", expire_interval=30)
    assert link["errcode"] == 0, link
    bearer = host_bearer(platform)
    resolved = check(platform, bearer, link["url_link"])
    assert resolved["open"] and resolved["path"] == "/pages/product"
    slug = link["url_link"].rsplit("/", 1)[1]
    with silent_sessions(platform.database_url) as session:
        session.execute(delete(UrlLink).where(UrlLink.slug == slug))
    assert check(platform, bearer, link["url_link"]) == resolved  # cached, for now

    platform.time.advance(platform.runtime.settings.link_cache_seconds + 1)

    gone = check(platform, bearer, link["url_link"])
    assert (gone["open"], gone["reason"]) == (False, "invalid_url_link")


# --- lifetimes ----------------------------------------------------------------------------------


def test_an_authorization_code_older_than_its_lifetime_is_refused(platform: Platform) -> None:
    code, verifier = authorization_code(platform)
    platform.time.advance(seconds(CODE_LIFETIME) + 1)

    late = exchange(platform, code, verifier)

    assert late.status_code == 400 and late.json()["error"] == "invalid_grant", late.text
    fresh_code, fresh_verifier = authorization_code(platform)
    assert exchange(platform, fresh_code, fresh_verifier).status_code == 200


def test_an_authorization_left_open_too_long_must_start_again(platform: Platform) -> None:
    world = platform.world
    params = AuthorizeParams.new(world.client_id, world.redirect_uri, None)
    browser = Browser(platform.url)
    try:
        page = browser.follow(browser.client.get("/authorize", params=params.query()))
        assert 'name="password"' in page.text
        platform.time.advance(seconds(SEALED_REQUEST_LIFETIME) + 1)

        after = browser.sign_in(page, world.username, PASSWORD)

        assert after.status_code == 400, after.text[:500]
        assert "the authorization request has expired; start again" in after.text
    finally:
        browser.close()


def test_a_run_ticket_lives_two_hours_and_its_refresh_token_thirty_days(
    platform: Platform,
) -> None:
    world = platform.world
    tokens = user_tokens(platform)
    assert launch(platform, tokens["access_token"])["errcode"] == 0

    platform.time.advance(tokens["expires_in"] + 1)

    assert launch(platform, tokens["access_token"])["errcode"] == 40001
    refreshed = platform.http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(world.client_id, world.client_secret),
    )
    assert refreshed.status_code == 200, refreshed.text
    assert launch(platform, refreshed.json()["access_token"])["errcode"] == 0

    platform.time.advance(seconds(REFRESH_TOKEN_LIFETIME) + 1)

    expired = platform.http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": refreshed.json()["refresh_token"]},
        auth=(world.client_id, world.client_secret),
    )
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


def test_a_launch_code_older_than_five_minutes_is_refused(platform: Platform) -> None:
    ticket = user_tokens(platform)["access_token"]
    code = launch_code(platform, ticket)
    platform.time.advance(seconds(LAUNCH_CODE_LIFETIME) + 1)

    assert jscode2session(platform, code)["errcode"] == 40029
    assert "openid" in jscode2session(platform, launch_code(platform, ticket))


def test_mini_program_access_tokens_live_two_hours_and_a_replaced_one_five_minutes(
    platform: Platform,
) -> None:
    def usable(token: str) -> bool:
        answer = generate_urllink(platform, token, expire_interval=1)
        assert answer["errcode"] in (0, 40001), answer
        return bool(answer["errcode"] == 0)

    first = access_token_of(stable_token(platform))
    assert usable(first)
    assert access_token_of(stable_token(platform)) == first  # the same while it lasts

    # Less than five minutes left: the stable token is replaced, the old one still works.
    platform.time.advance(seconds(ACCESS_TOKEN_LIFETIME) - 299)
    renewed = stable_token(platform)
    second = access_token_of(renewed)
    assert second != first and renewed["expires_in"] == seconds(ACCESS_TOKEN_LIFETIME)
    assert usable(first) and usable(second)

    platform.time.advance(300)
    assert not usable(first)  # its two hours are over
    assert usable(second)

    # A new /cgi-bin/token replaces the current one; the replaced one keeps five minutes.
    third = access_token_of(mp_token(platform))
    assert usable(second) and usable(third)
    platform.time.advance(seconds(OVERLAP) + 1)
    assert not usable(second)
    assert usable(third)


def test_an_expired_url_link_is_refused_at_once_everywhere(platform: Platform) -> None:
    token = access_token_of(mp_token(platform))
    ends = epoch(platform.time.now()) + 120
    link = generate_urllink(platform, token, expire_type=0, expire_time=ends)
    assert link["errcode"] == 0, link
    slug = link["url_link"].rsplit("/", 1)[1]
    bearer = host_bearer(platform)
    assert check(platform, bearer, link["url_link"])["open"]
    assert platform.http.get(f"/urllink/{slug}").status_code == 200

    platform.time.advance(121)

    assert check(platform, bearer, link["url_link"])["reason"] == "invalid_url_link"
    assert platform.http.get(f"/urllink/{slug}").status_code == 404
    described = platform.http.post(
        "/wxa/query_urllink", params={"access_token": token}, json={"url_link": link["url_link"]}
    ).json()
    assert described["url_link_info"]["expire_time"] == ends  # still described, as expired


def test_a_browser_session_ends_after_its_lifetime(platform: Platform) -> None:
    with httpx.Client(base_url=platform.url, timeout=10) as browser:
        signed_in = sign_in(browser, platform.world.username, PASSWORD)
        assert signed_in.status_code == 303, signed_in.text
        cookie = {"Cookie": f"{SESSION_COOKIE}={browser.cookies[SESSION_COOKIE]}"}
    # Sent explicitly: a browser drops the cookie itself, but a copy of it must die too.
    assert platform.http.get("/account/authorizations", headers=cookie).status_code == 200

    platform.time.advance(platform.runtime.settings.browser_session_hours * 3600 + 1)

    answer = platform.http.get("/account/authorizations", headers=cookie)
    assert answer.status_code in (302, 303) and "/signin" in answer.headers["location"]


def test_max_age_asks_for_a_fresh_sign_in_once_exceeded(platform: Platform) -> None:
    world = platform.world
    browser = Browser(platform.url)
    try:
        first = browser.authorize(
            AuthorizeParams.new(world.client_id, world.redirect_uri, None).query(),
            username=world.username,
            password=PASSWORD,
        )
        assert first.headers["location"].startswith(world.redirect_uri)
        params = AuthorizeParams.new(world.client_id, world.redirect_uri, None)
        again = browser.follow(browser.client.get("/authorize", params=params.query(max_age="60")))
        assert again.is_redirect and "code=" in again.headers["location"]  # signed in recently

        platform.time.advance(61)

        later = browser.follow(browser.client.get("/authorize", params=params.query(max_age="60")))
        assert later.status_code == 200 and 'name="password"' in later.text
    finally:
        browser.close()


# --- windows and days ---------------------------------------------------------------------------


def test_sign_in_refused_after_too_many_failures_is_allowed_after_the_window(
    platform: Platform,
) -> None:
    settings = platform.runtime.settings
    with httpx.Client(base_url=platform.url, timeout=10) as browser:
        for _ in range(settings.signin_max_failures_per_account):
            assert sign_in(browser, platform.world.username, "wrong").status_code == 422
        blocked = sign_in(browser, platform.world.username, PASSWORD)
        assert blocked.status_code == 429

        platform.time.advance(settings.signin_window_seconds + 1)

        assert sign_in(browser, platform.world.username, PASSWORD).status_code == 303


def test_the_45011_exchange_limit_lifts_after_its_window(platform: Platform) -> None:
    ticket = user_tokens(platform)["access_token"]
    for _ in range(EXCHANGES_PER_MINUTE):
        assert "openid" in jscode2session(platform, launch_code(platform, ticket))
    over = launch_code(platform, ticket)
    assert jscode2session(platform, over)["errcode"] == 45011

    platform.time.advance(WINDOW_SECONDS + 1)

    # The refused code was not used up: a client that backs off for a minute gets in.
    assert "openid" in jscode2session(platform, over)


def test_a_spent_daily_launch_quota_is_back_after_midnight_utc(platform: Platform) -> None:
    brand_token = access_token_of(mp_token(platform))
    stage(platform, brand_token, brand_port(platform, brand_token)["id"], daily_launch_quota=1)
    ticket = user_tokens(platform)["access_token"]
    assert launch(platform, ticket)["errcode"] == 0
    assert launch(platform, ticket)["errcode"] == 45009

    platform.time.advance_past(platform.time.next_utc_midnight())

    assert launch(platform, ticket)["errcode"] == 0


def test_a_spent_url_link_quota_is_back_after_midnight_utc(platform: Platform) -> None:
    token = access_token_of(mp_token(platform))
    today = platform.time.now()
    with silent_sessions(platform.database_url) as session:
        session.add(
            DailyCounter(
                key=f"urllink:{platform.world.appid}",
                day=day_of(today),
                count=URL_LINK_DAILY_QUOTA,
            )
        )
    assert generate_urllink(platform, token, expire_interval=1)["errcode"] == 45009

    platform.time.advance_past(platform.time.next_utc_midnight())

    assert generate_urllink(platform, token, expire_interval=1)["errcode"] == 0


def test_force_refresh_is_spaced_thirty_seconds_and_counted_per_day(platform: Platform) -> None:
    assert "access_token" in stable_token(platform, force_refresh=True)
    assert stable_token(platform, force_refresh=True)["errcode"] == 45009  # too soon
    for _ in range(19):
        platform.time.advance(31)
        assert "access_token" in stable_token(platform, force_refresh=True)
    platform.time.advance(31)
    spent = stable_token(platform, force_refresh=True)
    assert spent["errcode"] == 45009 and "20 times a day" in spent["errmsg"]

    platform.time.advance_past(platform.time.next_utc_midnight())

    assert "access_token" in stable_token(platform, force_refresh=True)


# --- jobs: trial expiry and webhook retries ------------------------------------------------------


def test_a_trial_that_ends_closes_the_port_by_itself(platform: Platform) -> None:
    brand_token = access_token_of(mp_token(platform))
    port = brand_port(platform, brand_token)
    ends = platform.time.now() + dt.timedelta(hours=1)
    stage(platform, brand_token, port["id"], trial_ends_at=ends.isoformat())
    bearer = host_bearer(platform)
    ticket = user_tokens(platform)["access_token"]
    assert check(platform, bearer, platform.world.appid)["open"]
    assert launch(platform, ticket)["errcode"] == 0

    platform.time.advance_past(ends)

    # Refused the moment the trial ends; the job then records the port as expired.
    assert check(platform, bearer, platform.world.appid)["reason"] == "trial_ended"
    assert launch(platform, ticket)["errcode"] == 89300
    # A fresh token each look: the job revokes what was handed out under the port.
    expired = eventually(
        lambda: brand_port(platform, access_token_of(mp_token(platform)))["state"],
        lambda state: state == "expired",
    )
    assert expired == "expired"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def test_a_webhook_that_failed_is_retried_and_delivered_after_its_backoff(
    platform: Platform, receiver: Receiver
) -> None:
    with platform.runtime.sessions() as session, session.begin():
        secret = partner_webhooks.set_webhook_url(
            session,
            admin.get_host_app(session, platform.world.client_id),
            receiver.url("host"),
            cipher=platform.runtime.cipher,
            actor=Actor.system(),
        )
    assert secret is not None
    receiver.secrets["host"] = secret
    receiver.script["host"] = [503]  # the partner is down for the first attempt
    brand_token = access_token_of(mp_token(platform))
    port = brand_port(platform, brand_token)
    closed = platform.http.post(
        f"/api/brand/ports/{port['id']}/close",
        params={"access_token": brand_token},
        json={"reason_category": "policy", "reason": "the season is over"},
    )
    assert closed.status_code == 200, closed.text

    receiver.wait_for(lambda: len(receiver.events("host")) == 1, timeout=5)
    time.sleep(0.5)  # several polls of the worker: none sends again before the backoff
    assert len(receiver.events("host")) == 1

    platform.time.advance(seconds(RETRY_DELAYS[0]) + 1)

    receiver.wait_for(lambda: len(receiver.events("host")) == 2, timeout=5)
    first, second = receiver.events("host")
    assert second.type == "port.closed" and second.webhook_id == first.webhook_id
    assert second.data["reason"] == {"category": "policy", "text": "the season is over"}
    time.sleep(0.5)
    assert len(receiver.events("host")) == 2  # delivered: not sent a third time
