"""The host app stays right as time passes: its check cache, sign-in window, browser
sessions, pending authorizations and run tickets, moved past their intervals on a real host
beside a real platform, on SQLite and on PostgreSQL.

The platform sends no webhooks here: a port closed on the platform reaches the host's cards
only through its check cache lapsing, which is what one of these tests is about.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.migrate import upgrade
from miniport.host.seed import seed_instance
from miniport.host.settings import HostSettings
from miniport.host.web.app import create_app
from miniport.host.web.deps import SESSION_COOKIE
from miniport.platform.runtime import PlatformRuntime
from tests.factories import PASSWORD, build_world
from tests.host.browsing import Browser, cards_of
from tests.host.conftest import (
    HOST_PASSWORD,
    Joined,
    cheap_hasher,
    join_host_to_platform,
    make_host_settings,
)
from tests.support.html_forms import form_with, submit
from tests.support.platform_server import (
    BACKENDS,
    database_for,
    platform_settings,
    serving_platform,
)
from tests.support.servers import free_port, serve_in_thread
from tests.support.timeline import Timeline, travelling


@dataclass
class Host:
    joined: Joined
    time: Timeline

    @property
    def url(self) -> str:
        return self.joined.host_url

    @property
    def settings(self) -> HostSettings:
        return self.joined.settings

    @property
    def runtime(self) -> PlatformRuntime:
        return self.joined.runtime


@pytest.fixture(params=BACKENDS)
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Host]:
    backend = request.param
    with (
        travelling() as timeline,
        database_for(request, backend) as platform_database,
        database_for(request, backend, "host") as host_database,
    ):
        settings = platform_settings(
            tmp_path / "platform", platform_database, webhook_delivery_enabled=False
        )
        with serving_platform(settings) as (platform_url, runtime):
            world = build_world(runtime)
            port = free_port()
            host_url = f"http://127.0.0.1:{port}"
            webhook_secret = join_host_to_platform(runtime, world, host_url)
            overrides: dict[str, Any] = {}
            if host_database is not None:
                overrides["database_url"] = host_database
            host_settings = make_host_settings(
                tmp_path / "host",
                base_url=host_url,
                platform_url=platform_url,
                client_id=world.client_id,
                client_secret=world.client_secret,
                webhook_secret=webhook_secret,
                **overrides,
            )
            if host_database is None:
                upgrade("host", host_settings.database_url)
            engine = make_engine(host_settings.database_url)
            try:
                with make_sessionmaker(engine)() as session, session.begin():
                    seed_instance(
                        session,
                        cheap_hasher(),
                        instance="xiaohongshu",
                        password=HOST_PASSWORD,
                        mp_links={"gucci": world.appid},
                    )
            finally:
                engine.dispose()
            with serve_in_thread(create_app(host_settings), port):
                yield Host(Joined(world, platform_url, host_url, host_settings, runtime), timeline)


@pytest.fixture
def browser() -> Iterator[Browser]:
    opened = Browser()
    yield opened
    opened.close()


def gucci_card_has_entry(browser: Browser, host: Host) -> bool:
    page = browser.get(host.url + "/search", params={"q": "Gucci"})
    assert page.status_code == 200
    return cards_of(page.text)["gucci"]


def close_the_port_as_the_brand(host: Host) -> None:
    """Gucci closes 小红书's port through the platform's brand API."""
    world = host.joined.world
    with httpx.Client(base_url=host.joined.platform_url, timeout=10) as platform:
        token = platform.get(
            "/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": world.appid,
                "secret": world.app_secret,
            },
        ).json()["access_token"]
        ports = platform.get("/api/brand/ports", params={"access_token": token}).json()["ports"]
        (port,) = [p for p in ports if p["client_id"] == world.client_id]
        closed = platform.post(
            f"/api/brand/ports/{port['id']}/close",
            params={"access_token": token},
            json={"reason_category": "policy", "reason": "the season is over"},
        )
        assert closed.status_code == 200, closed.text


def sign_in(client: httpx.Client, host: Host, password: str) -> httpx.Response:
    page = client.get(host.url + "/signin")
    form = form_with(page.text, "password")
    return client.post(
        host.url + "/signin",
        data={**form.fields, "username": "lin", "password": password},
        follow_redirects=False,
    )


def test_a_closed_port_reverts_the_card_once_the_check_cache_lapses(
    host: Host, browser: Browser
) -> None:
    browser.sign_in_to_host(host.joined)
    assert gucci_card_has_entry(browser, host)

    close_the_port_as_the_brand(host)
    assert gucci_card_has_entry(browser, host)  # the answer the host keeps, for now

    host.time.advance(host.settings.check_cache_seconds + 1)

    assert not gucci_card_has_entry(browser, host)


def test_sign_in_refused_after_too_many_failures_is_allowed_after_the_window(
    host: Host,
) -> None:
    with httpx.Client(timeout=10) as client:
        for _ in range(host.settings.signin_max_failures_per_account):
            assert sign_in(client, host, "wrong password").status_code == 422
        assert sign_in(client, host, HOST_PASSWORD).status_code == 429

        host.time.advance(host.settings.signin_window_seconds + 1)

        assert sign_in(client, host, HOST_PASSWORD).status_code == 303


def test_a_browser_session_ends_after_its_lifetime(host: Host) -> None:
    with httpx.Client(timeout=10) as client:
        assert sign_in(client, host, HOST_PASSWORD).status_code == 303
        cookie = {"Cookie": f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"}
        # Sent explicitly: a browser drops the cookie itself, but a copy of it must die too.
        assert client.get(host.url + "/me", headers=cookie).status_code == 200

        host.time.advance(host.settings.browser_session_hours * 3600 + 1)

    answer = httpx.get(host.url + "/me", headers=cookie)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/signin")


def test_an_authorization_finished_too_late_is_refused_by_the_host(
    host: Host, browser: Browser
) -> None:
    browser.sign_in_to_host(host.joined)
    results = browser.get(host.url + "/search", params={"q": "Gucci"})
    signin = browser.tap(results)
    consent = submit(
        browser.client,
        signin,
        form_with(signin.text, "password"),
        {"username": host.joined.world.username, "password": PASSWORD},
    )
    assert 'name="decision"' in consent.text
    form = form_with(consent.text, "decision")
    allowed = browser.client.post(
        str(consent.url.join(form.action)),
        data={**form.fields, "decision": "allow"},
        follow_redirects=False,
    )
    callback = allowed.headers["location"]
    assert callback.startswith(host.url + "/auth/callback?")

    host.time.advance(host.settings.authorization_minutes * 60 + 1)

    late = browser.get(callback)
    assert late.status_code == 400, late.text[:1000]
    assert 'data-testid="mp-container"' not in late.text


def test_an_expired_run_ticket_is_renewed_without_a_trip_to_the_platform(
    host: Host, browser: Browser
) -> None:
    browser.sign_in_to_host(host.joined)
    results = browser.get(host.url + "/search", params={"q": "Gucci"})
    container = browser.through_platform(browser.tap(results), host.joined)
    assert 'data-testid="mp-container"' in container.text

    host.time.advance(2 * 3600 + 1)  # the run ticket's lifetime, and a second

    seen_before = len(browser.seen)
    again = browser.tap(browser.get(host.url + "/search", params={"q": "Gucci"}))
    assert again.status_code == 200 and 'data-testid="mp-container"' in again.text
    visited = [str(response.url) for response in browser.seen[seen_before:]]
    assert not [url for url in visited if url.startswith(host.joined.platform_url)], visited
