"""Console staff for tests: operators and brand / host members, and a signed-in client."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from miniport.platform.accounts.models import StaffMembership, StaffRole
from miniport.platform.accounts.users import create_user
from miniport.platform.runtime import PlatformRuntime
from tests.support.html_forms import form_with, submit

STAFF_PASSWORD = "console password 42"


@dataclass(frozen=True)
class StaffUser:
    username: str
    user_id: int
    password: str = STAFF_PASSWORD


def _member(
    runtime: PlatformRuntime,
    username: str,
    *,
    role: StaffRole,
    brand_id: int | None = None,
    host_client_id: str | None = None,
) -> StaffUser:
    with runtime.sessions() as session, session.begin():
        user = create_user(
            session,
            runtime.passwords,
            username=username,
            display_name=username.title(),
            password=STAFF_PASSWORD,
        )
        session.add(
            StaffMembership(
                user_id=user.id, role=role.value, brand_id=brand_id, host_client_id=host_client_id
            )
        )
        return StaffUser(user.username, user.id)


def make_operator(runtime: PlatformRuntime, username: str = "olga") -> StaffUser:
    return _member(runtime, username, role=StaffRole.OPERATOR)


def make_brand_member(
    runtime: PlatformRuntime, brand_id: int, username: str = "bella"
) -> StaffUser:
    return _member(runtime, username, role=StaffRole.BRAND, brand_id=brand_id)


def make_host_member(runtime: PlatformRuntime, client_id: str, username: str = "hank") -> StaffUser:
    return _member(runtime, username, role=StaffRole.HOST, host_client_id=client_id)


def signed_in(platform_url: str, user: StaffUser) -> httpx.Client:
    """A cookie-keeping client signed in through the real sign-in form."""
    client = httpx.Client(base_url=platform_url, follow_redirects=False, timeout=10)
    page = client.get("/signin", params={"next": "/console"})
    response = submit(
        client,
        page,
        form_with(page.text, "username"),
        {"username": user.username, "password": user.password},
    )
    assert response.status_code == 303, response.text[:500]
    return client
