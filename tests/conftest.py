"""Shared fixtures: a fresh platform database per test, and a real platform server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from miniport.common.migrate import upgrade
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.web.app import create_app
from tests.conftest_services import (  # noqa: F401  (hooks and fixtures pytest must see here)
    postgres_url,
    pytest_collection_modifyitems,
    pytest_runtest_setup,
    pytest_terminal_summary,
    redis_url,
)
from tests.support.servers import free_port, serve_in_thread


def make_platform_settings(data_dir: Path, **overrides: object) -> PlatformSettings:
    values: dict[str, object] = {
        "environment": "test",
        "data_dir": data_dir,
        # argon2 at its defaults costs ~0.5 s a hash here; tests use the cheapest parameters.
        "argon2_time_cost": 1,
        "argon2_memory_cost": 1024,
        "argon2_parallelism": 1,
    }
    values.update(overrides)
    return PlatformSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def platform_port() -> int:
    return free_port()


@pytest.fixture
def platform_settings(tmp_path: Path, platform_port: int) -> PlatformSettings:
    settings = make_platform_settings(
        tmp_path / "platform", base_url=f"http://127.0.0.1:{platform_port}"
    )
    upgrade("platform", settings.database_url)
    return settings


@pytest.fixture
def runtime(platform_settings: PlatformSettings) -> Iterator[PlatformRuntime]:
    built = PlatformRuntime.build(platform_settings)
    yield built
    built.close()


@pytest.fixture
def platform_url(
    platform_settings: PlatformSettings, runtime: PlatformRuntime, platform_port: int
) -> Iterator[str]:
    """A real platform server on a loopback port, sharing ``runtime`` with the test."""
    app = create_app(platform_settings, runtime=runtime)
    with serve_in_thread(app, platform_port) as url:
        yield url
