"""Tokens are fetched once and reused, renewed shortly before they expire, and replaced when
the platform stops honouring them; unchanged ``check`` answers come back as 304.

Time is the SDK's injectable clock; the platform keeps real time, so a token the SDK renews
early is still valid on the server (which is the point of renewing early).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from miniport.common.clock import utcnow
from miniport.platform.miniprogram_api.models import MiniProgramAccessToken
from miniport.platform.runtime import PlatformRuntime
from miniport.sdk import HostClient, MiniProgramClient
from tests.factories import World
from tests.sdk.conftest import USER_KEY
from tests.sdk.transports import FakeClock, Recording

TWO_HOURS = dt.timedelta(hours=2)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def wire() -> Recording:
    return Recording()


@pytest.fixture
def counted_host(
    platform_url: str, world: World, clock: FakeClock, wire: Recording
) -> Iterator[HostClient]:
    with HostClient(
        platform_url,
        client_id=world.client_id,
        client_secret=world.client_secret,
        transport=wire,
        clock=clock,
    ) as client:
        yield client


@pytest.fixture
def counted_store(
    platform_url: str, world: World, clock: FakeClock, wire: Recording
) -> Iterator[MiniProgramClient]:
    with MiniProgramClient(
        platform_url, appid=world.appid, secret=world.app_secret, transport=wire, clock=clock
    ) as client:
        yield client


def test_the_client_token_is_fetched_once_for_many_calls(
    counted_host: HostClient, wire: Recording, world: World
) -> None:
    tokens = {counted_host.client_token() for _ in range(5)}
    for _ in range(3):
        counted_host.check(user_key=USER_KEY, items=[world.appid])
    counted_host.list_ports()

    assert len(tokens) == 1
    assert wire.count("/token") == 1
    assert wire.count("/api/ports/check") == 3


def test_the_client_token_is_renewed_about_a_minute_before_it_expires(
    counted_host: HostClient, wire: Recording, clock: FakeClock
) -> None:
    first = counted_host.client_token()

    clock.advance(TWO_HOURS - dt.timedelta(seconds=61))
    assert counted_host.client_token() == first
    assert wire.count("/token") == 1

    clock.advance(dt.timedelta(seconds=2))  # 59 s left: inside the margin
    second = counted_host.client_token()
    assert second != first
    assert wire.count("/token") == 2
    assert counted_host.client_token() == second


def test_a_revoked_client_token_is_replaced_once_and_the_call_succeeds(
    counted_host: HostClient, wire: Recording
) -> None:
    first = counted_host.client_token()
    counted_host.revoke(first)

    ports = counted_host.list_ports()

    assert len(ports) == 2
    assert wire.count("/api/ports") == 2  # refused with invalid_token, then sent again
    assert wire.count("/token") == 2
    assert counted_host.client_token() != first


def test_the_access_token_is_fetched_once_for_many_calls(
    counted_store: MiniProgramClient, wire: Recording
) -> None:
    tokens = {counted_store.access_token() for _ in range(5)}
    link = counted_store.generate_urllink(path="/pages/index")
    counted_store.query_urllink(link)
    counted_store.port_requests()

    assert len(tokens) == 1
    assert wire.count("/cgi-bin/stable_token") == 1


def test_the_access_token_is_renewed_before_it_expires(
    counted_store: MiniProgramClient, wire: Recording, clock: FakeClock
) -> None:
    counted_store.access_token()
    clock.advance(TWO_HOURS - dt.timedelta(seconds=61))
    counted_store.access_token()
    assert wire.count("/cgi-bin/stable_token") == 1

    clock.advance(dt.timedelta(seconds=2))
    counted_store.access_token()
    assert wire.count("/cgi-bin/stable_token") == 2


def test_a_refused_access_token_is_replaced_and_the_call_retried_once(
    counted_store: MiniProgramClient,
    wire: Recording,
    runtime: PlatformRuntime,
    world: World,
) -> None:
    stale = counted_store.access_token()
    # Another server of the brand rotated the token long ago: the platform refuses ours.
    with MiniProgramClient(
        counted_store.base_url, appid=world.appid, secret=world.app_secret
    ) as other_server:
        current = other_server.rotate_access_token()
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(MiniProgramAccessToken)
            .where(MiniProgramAccessToken.superseded_at.is_not(None))
            .values(superseded_at=utcnow() - dt.timedelta(hours=1))
        )
    runtime.mp_tokens.clear()

    link = counted_store.generate_urllink(path="/pages/index")

    assert link.startswith(counted_store.base_url)
    assert wire.count("/wxa/generate_urllink") == 2  # 40001, then with the new token
    assert counted_store.access_token() == current != stale
    asked = [json.loads(r.content) for r in wire.requests if r.url.path == "/cgi-bin/stable_token"]
    assert [body["force_refresh"] for body in asked] == [False, False]  # no forced refresh spent


def test_an_unchanged_check_answer_comes_back_as_304_and_from_the_cache(
    counted_host: HostClient, wire: Recording, world: World, store: MiniProgramClient
) -> None:
    items = [world.appid, world.second_appid]
    first = counted_host.check(user_key=USER_KEY, items=items)
    again = counted_host.check(user_key=USER_KEY, items=items)

    assert again == first
    check_statuses = [
        status
        for request, status in zip(wire.requests, wire.statuses, strict=True)
        if request.url.path == "/api/ports/check"
    ]
    assert check_statuses == [200, 304]
    assert "if-none-match" in wire.requests[-1].headers

    port_id = next(p["id"] for p in store.port_requests() if p["client_id"] == world.client_id)
    store.close_port(port_id, category="security", reason="counterfeits")
    after_close = counted_host.check(user_key=USER_KEY, items=items)

    assert [(c.open, c.reason) for c in after_close] == [(False, "port_closed"), (True, "open")]
    assert wire.statuses[-1] == 200
