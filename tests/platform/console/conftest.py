"""Fixtures for console tests: the test world (one brand, two hosts) and its staff."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from miniport.platform.ports.states import Actor
from miniport.platform.registry.admin import create_brand, create_mini_program
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, build_world
from tests.platform.console.factories import (
    make_brand_member,
    make_host_member,
    make_operator,
    signed_in,
)


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)


@pytest.fixture
def other_brand(runtime: PlatformRuntime) -> tuple[int, str]:
    """A second brand with one mini program: (brand id, appid)."""
    with runtime.sessions() as session, session.begin():
        brand = create_brand(
            session, slug="prada", name_zh="普拉达", name_en="Prada", actor=Actor.system()
        )
        mp, _ = create_mini_program(
            session,
            brand_id=brand.id,
            name_zh="普拉达旗舰店",
            name_en="Prada Store",
            entry_url="http://127.0.0.1:9/prada/entry",
            allowed_paths=["/pages/index"],
            actor=Actor.system(),
        )
        return brand.id, mp.appid


@pytest.fixture
def operator(platform_url: str, runtime: PlatformRuntime) -> Iterator[httpx.Client]:
    client = signed_in(platform_url, make_operator(runtime))
    yield client
    client.close()


@pytest.fixture
def brand_client(
    platform_url: str, runtime: PlatformRuntime, world: World
) -> Iterator[httpx.Client]:
    client = signed_in(platform_url, make_brand_member(runtime, world.brand_id))
    yield client
    client.close()


@pytest.fixture
def host_client(
    platform_url: str, runtime: PlatformRuntime, world: World
) -> Iterator[httpx.Client]:
    client = signed_in(platform_url, make_host_member(runtime, world.client_id))
    yield client
    client.close()
