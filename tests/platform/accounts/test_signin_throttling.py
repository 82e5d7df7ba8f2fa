"""Guessing passwords is throttled per account and per client address, across workers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from miniport.common.clock import utcnow
from miniport.common.migrate import upgrade
from miniport.platform.accounts.models import SigninFailureWindow
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.web.deps import SESSION_COOKIE
from tests.conftest import make_platform_settings
from tests.platform.accounts.pages import sign_in
from tests.platform.conftest import Account

PER_ACCOUNT = 3
PER_ADDRESS = 5


@pytest.fixture
def platform_settings(tmp_path: Path, platform_port: int) -> PlatformSettings:
    settings = make_platform_settings(
        tmp_path / "platform",
        base_url=f"http://127.0.0.1:{platform_port}",
        signin_max_failures_per_account=PER_ACCOUNT,
        signin_max_failures_per_address=PER_ADDRESS,
        signin_window_seconds=600,
    )
    upgrade("platform", settings.database_url)
    return settings


def _from(address: str) -> dict[str, str]:
    # uvicorn trusts X-Forwarded-For from loopback, as it would from a local reverse proxy.
    return {"X-Forwarded-For": address}


def test_failures_on_one_account_lock_it_from_any_address(
    web: httpx.Client, account: Account
) -> None:
    for attempt in range(PER_ACCOUNT):
        response = sign_in(web, account.username, "wrong", headers=_from(f"203.0.113.{attempt}"))
        assert response.status_code == 422

    blocked = sign_in(web, account.username, account.password, headers=_from("198.51.100.7"))
    # Refused even with the right password: the password is not even checked.
    assert blocked.status_code == 429
    assert "登录失败次数过多" in blocked.text
    assert 0 < int(blocked.headers["retry-after"]) <= 600
    assert SESSION_COOKIE not in web.cookies

    english = sign_in(
        web, account.username.upper(), account.password, headers=_from("198.51.100.8")
    )
    assert english.status_code == 429  # usernames are case-insensitive, so is the counter


def test_failures_from_one_address_lock_it_for_every_account(
    web: httpx.Client, account: Account
) -> None:
    for attempt in range(PER_ADDRESS):
        response = sign_in(web, f"guess{attempt}", "123456", headers=_from("192.0.2.50"))
        assert response.status_code == 422
    blocked = sign_in(web, account.username, account.password, headers=_from("192.0.2.50"))
    assert blocked.status_code == 429
    # The account itself is fine from anywhere else.
    elsewhere = sign_in(web, account.username, account.password, headers=_from("192.0.2.51"))
    assert elsewhere.status_code == 303


def test_success_forgives_the_account_failures(
    web: httpx.Client, runtime: PlatformRuntime, account: Account
) -> None:
    for round_ in range(2):
        for attempt in range(PER_ACCOUNT - 1):
            address = f"203.0.113.{round_ * 10 + attempt}"
            assert (
                sign_in(web, account.username, "wrong", headers=_from(address)).status_code == 422
            )
        ok = sign_in(web, account.username, account.password, headers=_from("198.51.100.1"))
        assert ok.status_code == 303, round_
    with runtime.sessions() as session:
        keys = set(session.scalars(select(SigninFailureWindow.key)))
    assert f"account:{account.username}" not in keys


def test_lock_ends_with_the_window(
    web: httpx.Client, runtime: PlatformRuntime, account: Account
) -> None:
    for attempt in range(PER_ACCOUNT):
        sign_in(web, account.username, "wrong", headers=_from(f"203.0.113.{attempt}"))
    assert sign_in(web, account.username, account.password).status_code == 429
    # Move the window into the past instead of waiting ten minutes.
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(SigninFailureWindow).values(window_start=utcnow() - dt.timedelta(seconds=601))
        )
    assert sign_in(web, account.username, account.password).status_code == 303
