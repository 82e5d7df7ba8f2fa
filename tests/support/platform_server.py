"""A real platform server for tests that choose its database: SQLite or PostgreSQL.

``BACKENDS`` parametrises a fixture over both; ``platform_database`` gives the URL for one
(``None``: the settings' own SQLite file). ``silent_sessions`` writes as a process that
announces nothing on the change bus would (another bus, a script, direct SQL): what the
services' time-based refreshes exist for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.migrate import upgrade
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.web.app import create_app
from tests.conftest import make_platform_settings
from tests.conftest_services import postgres_database
from tests.support.servers import free_port, serve_in_thread

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def database_for(
    request: pytest.FixtureRequest, backend: str, service: str = "platform"
) -> Iterator[str | None]:
    """For ``"postgres"``, a fresh PostgreSQL database with ``service``'s schema; ``None``
    otherwise (the service's own SQLite file, which the caller migrates)."""
    if backend == "postgres":
        with postgres_database(request, template=_migrated_template(request, service)) as url:
            yield url
    else:
        yield None


_TEMPLATES = pytest.StashKey[dict[str, str]]()


def _migrated_template(request: pytest.FixtureRequest, service: str) -> str:
    """A database migrated to ``service``'s newest schema once per test session, which each
    test copies: a copy takes a fraction of what running every migration takes."""
    templates = request.config.stash.setdefault(_TEMPLATES, {})
    if service not in templates:
        stack = ExitStack()
        url = stack.enter_context(postgres_database(request))
        request.config.add_cleanup(stack.close)
        upgrade(service, url)
        templates[service] = make_url(url).database or ""
    return templates[service]


def platform_settings(
    data_dir: Path, database_url: str | None, **overrides: object
) -> PlatformSettings:
    """Settings for a platform on a free port, its database migrated (``database_url`` from
    ``database_for`` is already)."""
    values: dict[str, object] = {"base_url": f"http://127.0.0.1:{free_port()}", **overrides}
    if database_url is not None:
        values["database_url"] = database_url
    settings = make_platform_settings(data_dir, **values)
    if database_url is None:
        upgrade("platform", settings.database_url)
    return settings


@contextmanager
def serving_platform(settings: PlatformSettings) -> Iterator[tuple[str, PlatformRuntime]]:
    """The platform served on its base URL's port until the block ends."""
    runtime = PlatformRuntime.build(settings)
    port = int(settings.base_url.rsplit(":", 1)[1])
    try:
        with serve_in_thread(create_app(settings, runtime=runtime), port) as url:
            yield url, runtime
    finally:
        runtime.close()  # idempotent: the app's shutdown closed it already when it started


@contextmanager
def silent_sessions(database_url: str) -> Iterator[Session]:
    """A transaction on an engine of its own, wired to no change bus: it commits unseen."""
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            yield session
    finally:
        engine.dispose()
