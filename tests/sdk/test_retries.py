"""Idempotent calls are retried with backoff on network failures; single-use ones never are.

Attempts are counted by a wrapper around a real ``httpx.HTTPTransport``: against a port with
nothing listening (connection refused), or in front of the real platform with the first
attempt failing as a flaky network or a proxy would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from miniport.sdk import (
    AsyncHostClient,
    HostClient,
    MiniProgramClient,
    RetryPolicy,
    TransportError,
    errors,
)
from tests.factories import World
from tests.sdk.conftest import USER_KEY, Tour
from tests.sdk.transports import (
    AsyncRecording,
    Recording,
    gateway_error,
    refuse_connection,
    system_busy,
)
from tests.support.servers import free_port

ATTEMPTS = 4
NO_WAIT = RetryPolicy(attempts=ATTEMPTS, backoff=0.0)


@pytest.fixture
def dead_url() -> str:
    """A loopback port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def wire() -> Recording:
    return Recording()


@pytest.fixture
def dead_host(dead_url: str, wire: Recording) -> Iterator[HostClient]:
    with HostClient(
        dead_url, client_id="hc", client_secret="s", transport=wire, retry=NO_WAIT
    ) as client:
        yield client


@pytest.fixture
def dead_store(dead_url: str, wire: Recording) -> Iterator[MiniProgramClient]:
    with MiniProgramClient(
        dead_url, appid="wx0000000000000000", secret="s", transport=wire, retry=NO_WAIT
    ) as client:
        yield client


RETRIED: dict[str, Callable[[HostClient, MiniProgramClient], object]] = {
    "discovery": lambda host, _: host.discovery(),
    "userinfo": lambda host, _: host.userinfo("token"),
    "introspect": lambda host, _: host.introspect("token"),
    "revoke": lambda host, _: host.revoke("token"),
    "client_token (client_credentials)": lambda host, _: host.client_token(),
    "check (its client token first)": lambda host, _: host.check(user_key="u", items=["wx1"]),
    "access_token (stable_token)": lambda _, store: store.access_token(),
}
SENT_ONCE: dict[str, Callable[[HostClient, MiniProgramClient], object]] = {
    "exchange_code": lambda host, _: host.exchange_code(
        code="c", redirect_uri="https://h/cb", code_verifier="v" * 64
    ),
    "refresh": lambda host, _: host.refresh("refresh-token"),
    "launch": lambda host, _: host.launch(
        run_ticket="t", appid="wx1", path="/pages/index", user_key="u"
    ),
    "code_to_session (jscode2session)": lambda _, store: store.code_to_session("code"),
    "rotate_access_token (/cgi-bin/token)": lambda _, store: store.rotate_access_token(),
}


@pytest.mark.parametrize("name", list(RETRIED))
def test_idempotent_calls_to_a_dead_port_are_tried_n_times_then_raise_transport_error(
    name: str, dead_host: HostClient, dead_store: MiniProgramClient, wire: Recording
) -> None:
    with pytest.raises(TransportError) as raised:
        RETRIED[name](dead_host, dead_store)
    assert len(wire.requests) == ATTEMPTS
    assert raised.value.attempts == ATTEMPTS
    assert isinstance(raised.value.__cause__, httpx.ConnectError)


@pytest.mark.parametrize("name", list(SENT_ONCE))
def test_single_use_and_creating_calls_are_never_retried(
    name: str, dead_host: HostClient, dead_store: MiniProgramClient, wire: Recording
) -> None:
    with pytest.raises(TransportError) as raised:
        SENT_ONCE[name](dead_host, dead_store)
    assert len(wire.requests) == 1
    assert raised.value.attempts == 1


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_async_client_retries_the_same_way(dead_url: str) -> None:
    wire = AsyncRecording()
    async with AsyncHostClient(
        dead_url, client_id="hc", client_secret="s", transport=wire, retry=NO_WAIT
    ) as host:
        with pytest.raises(TransportError):
            await host.introspect("token")
        assert len(wire.requests) == ATTEMPTS
        with pytest.raises(TransportError):
            await host.launch(run_ticket="t", appid="wx1", path="/pages/index", user_key="u")
        assert len(wire.requests) == ATTEMPTS + 1


def test_the_waits_between_attempts_grow_exponentially_up_to_a_ceiling() -> None:
    policy = RetryPolicy(attempts=6, backoff=0.25, max_backoff=1.5, jitter=False)
    assert [policy.delay(n) for n in range(1, 6)] == [0.25, 0.5, 1.0, 1.5, 1.5]
    jittered = RetryPolicy(backoff=1.0)
    assert all(0.5 <= jittered.delay(1) <= 1.0 for _ in range(100))


def test_default_policy_is_three_attempts(dead_url: str, wire: Recording) -> None:
    with HostClient(
        dead_url,
        client_id="hc",
        client_secret="s",
        transport=wire,
        retry=RetryPolicy(backoff=0.01),
    ) as host:
        with pytest.raises(TransportError):
            host.discovery()
    assert len(wire.requests) == 3


# --- in front of the real platform: the first attempt fails, the retry succeeds --------------


@pytest.fixture
def flaky_tour(platform_url: str, world: World, wire: Recording, tour: Tour) -> Iterator[Tour]:
    host = HostClient(
        platform_url,
        client_id=world.client_id,
        client_secret=world.client_secret,
        transport=wire,
        retry=NO_WAIT,
    )
    store = MiniProgramClient(
        platform_url, appid=world.appid, secret=world.app_secret, transport=wire, retry=NO_WAIT
    )
    with host, store:
        tour.host, tour.store = host, store
        yield tour


@pytest.mark.parametrize(
    ("fault", "path", "call"),
    [
        (refuse_connection, "/api/ports/check", "check"),
        (gateway_error, "/api/ports/check", "check"),
        (refuse_connection, "/introspect", "introspect"),
        (gateway_error, "/token", "client_token"),
        (system_busy, "/wxa/query_urllink", "query_urllink"),
        (system_busy, "/cgi-bin/stable_token", "access_token"),
    ],
)
def test_a_transient_failure_is_retried_and_the_call_succeeds(
    fault: Callable[[httpx.Request], httpx.Response],
    path: str,
    call: str,
    flaky_tour: Tour,
    wire: Recording,
) -> None:
    t = flaky_tour
    link = t.store.generate_urllink(path="/pages/index") if call == "query_urllink" else ""
    calls: dict[str, Callable[[], object]] = {
        "check": lambda: t.host.check(user_key=USER_KEY, items=[t.world.appid]),
        "introspect": lambda: t.host.introspect("unknown"),
        "client_token": t.host.client_token,
        "query_urllink": lambda: t.store.query_urllink(link),
        "access_token": t.store.access_token,
    }
    before = wire.count(path)
    wire.faults[path] = [fault]

    assert calls[call]()
    assert wire.count(path) - before == 2


def test_system_busy_on_a_single_use_call_is_raised_not_retried(
    flaky_tour: Tour, wire: Recording
) -> None:
    code = flaky_tour.launch().code
    wire.faults["/sns/jscode2session"] = [system_busy]
    with pytest.raises(errors.SystemBusy):
        flaky_tour.store.code_to_session(code)
    assert wire.count("/sns/jscode2session") == 1
    # The code was never sent, so it still works.
    assert flaky_tour.store.code_to_session(code).openid


def test_an_html_error_page_is_an_unexpected_response(flaky_tour: Tour, wire: Recording) -> None:
    wire.faults["/wxa/launch"] = [gateway_error]
    with pytest.raises(errors.UnexpectedResponse) as raised:
        flaky_tour.launch()
    assert raised.value.status_code == 503
    assert "503" in raised.value.body
