"""Fixtures for the SDK's tests: a real platform on loopback, the factories' world, SDK clients
for its host apps and its mini program, and a consent step driven as a browser would."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import pytest

from miniport.platform.runtime import PlatformRuntime
from miniport.sdk import (
    AuthorizationResult,
    AuthorizationStart,
    HostClient,
    Launch,
    MiniProgramClient,
)
from tests.factories import PASSWORD, World, build_world
from tests.support.oidc import Browser, query_of

USER_KEY = "host-user-42"


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    """Gucci's store and beauty mini programs, 小红书 (ports to both open) and 京东 (none)."""
    return build_world(runtime)


@pytest.fixture
def host(platform_url: str, world: World) -> Iterator[HostClient]:
    with HostClient(
        platform_url, client_id=world.client_id, client_secret=world.client_secret
    ) as client:
        yield client


@pytest.fixture
def jd(platform_url: str, world: World) -> Iterator[HostClient]:
    """The second host app, which has no port yet."""
    with HostClient(
        platform_url, client_id=world.other_client_id, client_secret=world.other_client_secret
    ) as client:
        yield client


@pytest.fixture
def store(platform_url: str, world: World) -> Iterator[MiniProgramClient]:
    """The Gucci store's server."""
    with MiniProgramClient(platform_url, appid=world.appid, secret=world.app_secret) as client:
        yield client


def consent(
    platform_url: str,
    start: AuthorizationStart,
    *,
    username: str,
    password: str = PASSWORD,
    decision: str = "allow",
) -> dict[str, str]:
    """Open ``start.url`` in a browser, sign in, answer the consent page; the parameters the
    platform sends back to the redirect URI."""
    browser = Browser(platform_url)
    try:
        assert start.url.startswith(f"{platform_url}/authorize?")
        back = browser.authorize(
            query_of(start.url), username=username, password=password, decision=decision
        )
    finally:
        browser.close()
    location = back.headers.get("location", "")
    assert location.startswith(start.redirect_uri + "?"), (back.status_code, back.text[:300])
    return query_of(location)


@dataclass(frozen=True)
class SignedIn:
    start: AuthorizationStart
    result: AuthorizationResult

    @property
    def run_ticket(self) -> str:
        return self.result.tokens.access_token


def sign_in(
    platform_url: str, host: HostClient, world: World, appid: str | None = None
) -> SignedIn:
    """The whole authorization through the SDK: start, consent, complete."""
    start = host.new_authorization(redirect_uri=world.redirect_uri, appid=appid or world.appid)
    params = consent(platform_url, start, username=world.username)
    return SignedIn(start, host.complete_authorization(start, params))


@pytest.fixture
def signed_in(platform_url: str, host: HostClient, world: World) -> SignedIn:
    return sign_in(platform_url, host, world)


class Tour:
    """What the rows call, and what they need prepared (built on first use)."""

    def __init__(
        self,
        platform_url: str,
        runtime: PlatformRuntime,
        world: World,
        host: HostClient,
        jd: HostClient,
        store: MiniProgramClient,
    ) -> None:
        self.platform_url = platform_url
        self.runtime = runtime
        self.world = world
        self.host = host
        self.jd = jd
        self.store = store

    @cached_property
    def signed_in(self) -> SignedIn:
        return sign_in(self.platform_url, self.host, self.world)

    @property
    def run_ticket(self) -> str:
        return self.signed_in.run_ticket

    @cached_property
    def open_port_id(self) -> int:
        """小红书 × the Gucci store, opened by the factories."""
        ports = self.host.list_ports()
        return next(int(port["id"]) for port in ports if port["appid"] == self.world.appid)

    @cached_property
    def requested_port_id(self) -> int:
        """京东 asks for a port to the Gucci store (the brand reviews each request)."""
        return int(self.jd.apply_port(appid=self.world.appid, reason="notes about the brand")["id"])

    def launch(self) -> Launch:
        return self.host.launch(
            run_ticket=self.run_ticket,
            appid=self.world.appid,
            path="/pages/product?id=42",
            user_key=USER_KEY,
        )

    @cached_property
    def url_link(self) -> str:
        return self.store.generate_urllink(path="/pages/product", query="id=42")

    def start(self) -> AuthorizationStart:
        return self.host.new_authorization(
            redirect_uri=self.world.redirect_uri, appid=self.world.appid
        )

    def code_and_callback(self) -> tuple[AuthorizationStart, dict[str, str]]:
        """A fresh code: the redirect back's parameters after the user allowed."""
        start = self.start()
        return start, consent(self.platform_url, start, username=self.world.username)


@pytest.fixture
def tour(
    platform_url: str,
    runtime: PlatformRuntime,
    world: World,
    host: HostClient,
    jd: HostClient,
    store: MiniProgramClient,
) -> Tour:
    return Tour(platform_url, runtime, world, host, jd, store)
