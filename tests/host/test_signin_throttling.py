"""Guessing a host account's password is throttled: a few failures lock the account for a
while, with a page that says so, and the lock lifts when its window has passed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from miniport.host.web.deps import SESSION_COOKIE
from miniport.host.web.routes import accounts as account_routes
from tests.host.conftest import HOST_PASSWORD, StandAlone
from tests.sdk.transports import FakeClock
from tests.support.html_forms import form_with, submit


@pytest.fixture
def client(standalone: StandAlone) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=standalone.url, timeout=10) as opened:
        yield opened


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The host's sign-in clock (``miniport.common.clock.utcnow``), moved by the test."""
    fake = FakeClock()
    monkeypatch.setattr(account_routes, "utcnow", fake)
    return fake


def sign_in(client: httpx.Client, username: str, password: str, **params: str) -> httpx.Response:
    page = client.get("/signin", params=params)
    return submit(
        client, page, form_with(page.text, "password"), {"username": username, "password": password}
    )


def lock(client: httpx.Client, standalone: StandAlone, username: str = "lin") -> None:
    for _ in range(standalone.settings.signin_max_failures_per_account):
        assert sign_in(client, username, "not the password").status_code == 422


def test_failures_lock_the_account_even_against_the_right_password(
    client: httpx.Client, standalone: StandAlone
) -> None:
    lock(client, standalone)

    refused = sign_in(client, "lin", HOST_PASSWORD)

    assert refused.status_code == 429
    assert "登录失败次数过多" in refused.text
    window = standalone.settings.signin_window_seconds
    assert 0 < int(refused.headers["retry-after"]) <= window
    assert SESSION_COOKIE not in client.cookies
    english = sign_in(client, "LIN", HOST_PASSWORD, lang="en")
    assert english.status_code == 429  # usernames are case-insensitive, so is the lock
    assert "Too many failed sign-in attempts" in english.text


def test_a_locked_account_does_not_lock_the_others(
    client: httpx.Client, standalone: StandAlone
) -> None:
    lock(client, standalone)

    assert sign_in(client, "momo", HOST_PASSWORD).status_code == 303
    assert SESSION_COOKIE in client.cookies


def test_the_lock_ends_with_its_window(
    client: httpx.Client, standalone: StandAlone, clock: FakeClock
) -> None:
    lock(client, standalone)
    clock.advance(dt.timedelta(seconds=standalone.settings.signin_window_seconds - 1))
    assert sign_in(client, "lin", HOST_PASSWORD).status_code == 429

    clock.advance(dt.timedelta(seconds=1))

    signed_in = sign_in(client, "lin", HOST_PASSWORD)
    assert signed_in.status_code == 303
    assert SESSION_COOKIE in client.cookies


def test_signing_in_forgives_earlier_failures(client: httpx.Client, standalone: StandAlone) -> None:
    almost = standalone.settings.signin_max_failures_per_account - 1
    for _round in range(2):
        for _ in range(almost):
            assert sign_in(client, "lin", "not the password").status_code == 422
        assert sign_in(client, "lin", HOST_PASSWORD).status_code == 303
        client.cookies.delete(SESSION_COOKIE)  # signed out again, back to the form
