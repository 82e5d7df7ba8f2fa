"""The PostgreSQL and Redis fixtures: isolated connections when the servers run; a loud skip,
or a failure when they are required, when they do not."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_postgres_url_is_a_fresh_empty_database_of_its_own(postgres_url: str) -> None:
    engine = create_engine(postgres_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            name = connection.execute(text("select current_database()")).scalar_one()
            tables = connection.execute(
                text("select count(*) from information_schema.tables where table_schema='public'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert name == make_url(postgres_url).database
    assert name.startswith("miniport_test_")
    assert tables == 0


def test_redis_url_answers_and_round_trips_a_value(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    key = f"miniport-test:{uuid.uuid4().hex}"
    try:
        assert client.ping() is True
        client.set(key, "古驰", ex=30)
        assert client.get(key) == "古驰".encode()
    finally:
        client.delete(key)
        client.close()


# --- what happens when a server is down -------------------------------------------------------

SUITE = """
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    pass

def test_uses_redis_fixture(redis_url):
    pass

def test_needs_nothing():
    pass
"""

CONFTEST = """
import tests.conftest_services as services
from tests.conftest_services import (
    postgres_url, pytest_collection_modifyitems, pytest_runtest_setup, pytest_terminal_summary,
    redis_url,
)

services.SERVICES.update(postgres={port}, redis={port})  # nothing listens there
"""


def _run_suite_with_servers_down(
    tmp_path: Path, *, require: bool
) -> subprocess.CompletedProcess[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # bound, never listening: connections are refused
        (tmp_path / "pytest.ini").write_text(
            "[pytest]\nmarkers =\n    postgres: needs PostgreSQL\n    redis: needs Redis\n"
        )
        (tmp_path / "conftest.py").write_text(CONFTEST.format(port=closed_port))
        (tmp_path / "test_suite_with_services.py").write_text(SUITE)
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        env.pop("MINIPORT_REQUIRE_SERVICES", None)
        if require:
            env["MINIPORT_REQUIRE_SERVICES"] = "1"
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )


def test_tests_needing_a_down_server_are_skipped_loudly(tmp_path: Path) -> None:
    result = _run_suite_with_servers_down(tmp_path, require=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 2 skipped" in result.stdout
    assert "SERVICE TESTS DID NOT RUN" in result.stdout
    assert "postgres is not reachable" in result.stdout
    assert "redis is not reachable" in result.stdout
    assert "test_suite_with_services.py" in result.stdout


def test_a_down_server_fails_the_run_when_services_are_required(tmp_path: Path) -> None:
    result = _run_suite_with_servers_down(tmp_path, require=True)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed, 2 errors" in result.stdout
    assert "MINIPORT_REQUIRE_SERVICES=1" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]
