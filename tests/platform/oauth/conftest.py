from __future__ import annotations

from collections.abc import Iterator

import pytest

from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, build_world
from tests.support.oidc import AuthorizeParams, Browser


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)


@pytest.fixture
def browser(platform_url: str) -> Iterator[Browser]:
    b = Browser(platform_url)
    yield b
    b.close()


@pytest.fixture
def params(world: World) -> AuthorizeParams:
    return AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
