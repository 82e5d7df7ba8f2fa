"""PostgreSQL and Redis for tests marked ``postgres`` / ``redis``.

On a laptop without those servers the marked tests are skipped, and the terminal summary says
loudly which suites did not run. With ``MINIPORT_REQUIRE_SERVICES=1`` (CI) an unreachable
server fails those tests instead, so a green run always means they ran.

``tests/conftest.py`` imports the hooks and fixtures below so pytest finds them.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

SERVICE_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
REDIS_PORT = 6379
POSTGRES_ADMIN_URL = f"postgresql+psycopg://postgres@{SERVICE_HOST}:{POSTGRES_PORT}/postgres"
REDIS_URL = f"redis://{SERVICE_HOST}:{REDIS_PORT}/0"
SERVICES = {"postgres": POSTGRES_PORT, "redis": REDIS_PORT}
# Fixtures that imply a marker, so `-m "not postgres"` also deselects tests using them.
FIXTURE_MARKERS = {"postgres_url": "postgres", "redis_url": "redis"}


def services_required() -> bool:
    return os.environ.get("MINIPORT_REQUIRE_SERVICES") == "1"


@dataclass
class ServiceState:
    reachable: dict[str, bool] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)


STATE_KEY = pytest.StashKey[ServiceState]()


def _state(config: pytest.Config) -> ServiceState:
    if STATE_KEY not in config.stash:
        config.stash[STATE_KEY] = ServiceState()
    return config.stash[STATE_KEY]


def _reachable(service: str) -> bool:
    try:
        with socket.create_connection((SERVICE_HOST, SERVICES[service]), timeout=1.0):
            return True
    except OSError:
        return False


def require_service(config: pytest.Config, service: str, nodeid: str) -> None:
    """Skip (or, when services are required, fail) unless ``service`` answers."""
    state = _state(config)
    if service not in state.reachable:
        state.reachable[service] = _reachable(service)
    if state.reachable[service]:
        return
    where = f"{service} on {SERVICE_HOST}:{SERVICES[service]}"
    if services_required():
        pytest.fail(f"{where} is not reachable and MINIPORT_REQUIRE_SERVICES=1", pytrace=False)
    state.skipped.setdefault(service, []).append(nodeid)
    pytest.skip(f"{where} is not reachable")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for fixture_name, marker in FIXTURE_MARKERS.items():
            if fixture_name in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


def pytest_runtest_setup(item: pytest.Item) -> None:
    for service in SERVICES:
        if item.get_closest_marker(service) is not None:
            require_service(item.config, service, item.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = _state(terminalreporter.config).skipped
    if not skipped:
        return
    terminalreporter.section("SERVICE TESTS DID NOT RUN", sep="!", red=True, bold=True)
    for service, nodeids in sorted(skipped.items()):
        suites = sorted({nodeid.split("::", 1)[0] for nodeid in nodeids})
        terminalreporter.write_line(
            f"{service} is not reachable on {SERVICE_HOST}:{SERVICES[service]}: "
            f"{len(nodeids)} test(s) skipped in {', '.join(suites)}",
            red=True,
            bold=True,
        )
    terminalreporter.write_line(
        "Start the servers (see .ci/run) or set MINIPORT_REQUIRE_SERVICES=1 to make this fail.",
        yellow=True,
    )


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database for one test, dropped afterwards."""
    with postgres_database(request) as url:
        yield url


@contextmanager
def postgres_database(
    request: pytest.FixtureRequest, *, template: str | None = None
) -> Iterator[str]:
    """One more fresh database, for a test whose services each need one of their own; a
    copy of the database ``template`` when given (one nobody is connected to)."""
    require_service(request.config, "postgres", request.node.nodeid)
    name = f"miniport_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        yield f"postgresql+psycopg://postgres@{SERVICE_HOST}:{POSTGRES_PORT}/{name}"
        with admin.connect() as connection:
            # FORCE: a pool the test forgot to dispose must not keep the database alive.
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> str:
    """The Redis server's URL. Several test runs share it: use unique keys and channels."""
    require_service(request.config, "redis", request.node.nodeid)
    return REDIS_URL
