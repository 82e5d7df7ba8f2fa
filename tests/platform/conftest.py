"""Fixtures for the platform's browser pages: a cookie-keeping client and a user account."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from miniport.platform.accounts.users import create_user
from miniport.platform.runtime import PlatformRuntime


@dataclass(frozen=True)
class Account:
    user_id: int
    username: str
    display_name: str
    password: str


@pytest.fixture
def web(platform_url: str) -> Iterator[httpx.Client]:
    """A browser-like client: keeps cookies, does not follow redirects (tests look at them)."""
    with httpx.Client(base_url=platform_url, follow_redirects=False, timeout=10) as client:
        yield client


@pytest.fixture
def account(runtime: PlatformRuntime) -> Account:
    password = "plum blossom 2024"
    with runtime.sessions() as session, session.begin():
        user = create_user(
            session, runtime.passwords, username="mei", display_name="梅", password=password
        )
        return Account(user.id, user.username, user.display_name, password)
