from __future__ import annotations

import pytest

from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, build_world


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)
