"""The platform's migrations build the schema the models describe, on SQLite and PostgreSQL,
and a server refuses a database whose schema is behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from miniport.common.db import make_engine
from miniport.common.migrate import (
    SchemaOutOfDate,
    alembic_config,
    current_revision,
    ensure_current,
    head_revision,
    upgrade,
)
from miniport.platform.db import all_models
from miniport.platform.runtime import PlatformRuntime
from tests.conftest import make_platform_settings


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'platform.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_upgrade_reaches_head_and_the_schema_check_passes(database_url: str) -> None:
    upgrade("platform", database_url)

    engine = make_engine(database_url)
    try:
        assert current_revision(engine) == head_revision("platform")
        ensure_current("platform", engine)  # does not raise
        assert {"users", "brands", "mini_programs", "host_apps", "signing_keys"} <= set(
            inspect(engine).get_table_names()
        )
    finally:
        engine.dispose()


def test_an_empty_database_is_refused_naming_the_command_to_run(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with pytest.raises(SchemaOutOfDate, match="run: miniport db upgrade platform"):
            ensure_current("platform", engine)
    finally:
        engine.dispose()


def test_migrations_create_exactly_what_the_models_declare(database_url: str) -> None:
    upgrade("platform", database_url)

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, all_models())
    finally:
        engine.dispose()
    assert differences == [], "models changed without a migration: run alembic revision"


def test_downgrade_to_nothing_and_upgrade_again(database_url: str) -> None:
    upgrade("platform", database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            config = alembic_config("platform", database_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()

    upgrade("platform", database_url)
    engine = make_engine(database_url)
    try:
        ensure_current("platform", engine)
    finally:
        engine.dispose()


def test_the_platform_will_not_start_on_an_empty_database(tmp_path: Path) -> None:
    settings = make_platform_settings(tmp_path)

    with pytest.raises(SchemaOutOfDate, match="miniport db upgrade platform"):
        PlatformRuntime.build(settings)


@pytest.mark.parametrize("service", ["platform", "host", "shop"])
def test_the_alembic_free_head_is_alembics_head(service: str) -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(service, "sqlite://"))
    assert head_revision(service) == script.get_current_head()


def test_a_serving_process_never_imports_alembic(tmp_path: Path) -> None:
    # Alembic and what it drags in (Mako, Pygments, every dialect) are ~10 MB a worker would
    # carry for good; start-up checks the schema without them.
    settings = make_platform_settings(tmp_path / "platform")
    upgrade("platform", settings.database_url)
    program = (
        "import sys\n"
        "from miniport.platform.runtime import PlatformRuntime\n"
        "from miniport.platform.settings import PlatformSettings\n"
        "from miniport.platform.web.app import create_app\n"
        f"settings = PlatformSettings(data_dir={str(settings.data_dir)!r}, environment='test')\n"
        "runtime = PlatformRuntime.build(settings)\n"
        "create_app(settings, runtime=runtime)\n"
        "runtime.close()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=120
    )
    assert completed.stdout.strip().splitlines()[-1] == "[]"
