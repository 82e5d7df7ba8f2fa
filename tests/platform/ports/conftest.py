"""Fixtures for the ports API: a world with two brands, host tokens and brand tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from miniport.common.clock import utcnow
from miniport.platform.miniprogram_api.credentials import new_access_token
from miniport.platform.ports import lifecycle
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.states import Actor, ActorKind, ReasonCategory
from miniport.platform.registry.admin import create_brand, create_mini_program
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, build_world

OPERATOR = Actor(ActorKind.OPERATOR, "ops")


@dataclass(frozen=True)
class OtherBrand:
    brand_id: int
    appid: str


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)


@pytest.fixture
def other_brand(runtime: PlatformRuntime, world: World) -> OtherBrand:
    with runtime.sessions() as session, session.begin():
        brand = create_brand(
            session, slug="prada", name_zh="普拉达", name_en="Prada", actor=Actor.system()
        )
        mp, _secret = create_mini_program(
            session,
            brand_id=brand.id,
            name_zh="普拉达官方旗舰店",
            name_en="Prada Official Store",
            entry_url="http://127.0.0.1:9/prada/entry",
            allowed_paths=["/pages/index"],
            actor=Actor.system(),
        )
        return OtherBrand(brand.id, mp.appid)


def open_port(runtime: PlatformRuntime, *, client_id: str, appid: str) -> int:
    """A port applied for and approved by an operator; returns its id."""
    with runtime.sessions() as session, session.begin():
        port = lifecycle.apply_for_port(
            session,
            client_id=client_id,
            appid=appid,
            reason_text="to show the brand's store in search",
            actor=OPERATOR,
            now=utcnow(),
        )
        lifecycle.approve(
            session,
            port.id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.REQUEST, "ok"),
            now=utcnow(),
        )
        return port.id


def port_id_of(runtime: PlatformRuntime, client_id: str, appid: str) -> int:
    with runtime.sessions() as session:
        port = lifecycle.find_port(session, client_id=client_id, appid=appid)
        assert port is not None
        return port.id


def request_port(runtime: PlatformRuntime, *, client_id: str, appid: str) -> int:
    with runtime.sessions() as session, session.begin():
        return lifecycle.apply_for_port(
            session,
            client_id=client_id,
            appid=appid,
            reason_text="please",
            actor=Actor(ActorKind.HOST, client_id),
            now=utcnow(),
        ).id


def mp_token(runtime: PlatformRuntime, appid: str) -> str:
    """A live mini-program access token, as /cgi-bin/token would hand out."""
    with runtime.sessions() as session, session.begin():
        return new_access_token(session, b"test-token-key", appid=appid, now=utcnow()).access_token


def host_token(base_url: str, client_id: str, secret: str, scope: str = "ports") -> str:
    response = httpx.post(
        f"{base_url}/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client_id, secret),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture
def http(platform_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=platform_url, timeout=10) as client:
        yield client


@pytest.fixture
def host_auth(platform_url: str, world: World) -> dict[str, str]:
    """Authorization header of xiaohongshu, whose ports to both of Gucci's mini programs
    ``build_world`` opened."""
    return {
        "Authorization": "Bearer " + host_token(platform_url, world.client_id, world.client_secret)
    }


@pytest.fixture
def jd_auth(platform_url: str, world: World) -> dict[str, str]:
    """Authorization header of JD, a host app with no port yet."""
    return {
        "Authorization": "Bearer "
        + host_token(platform_url, world.other_client_id, world.other_client_secret)
    }


def error_of(response: httpx.Response) -> str:
    body: dict[str, Any] = response.json()
    assert set(body) <= {"error", "error_description"}, body
    error: str = body["error"]
    return error
