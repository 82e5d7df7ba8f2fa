"""Alembic, driven from code: one migration history per service under ``migrations/<service>``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

import miniport
from miniport.common.db import make_engine


class SchemaOutOfDate(RuntimeError):
    """The database is not at the newest migration; the message names the command to run."""


def migrations_root() -> Path:
    package = Path(miniport.__file__).parent
    bundled = package / "_migrations"  # where the wheel puts them
    if bundled.is_dir():
        return bundled
    return package.parents[1] / "migrations"  # a source checkout / editable install


def alembic_config(service: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_root() / service))
    # ConfigParser would treat % in a password as interpolation.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Migrate to ``revision``, through our engine so SQLite gets its directory and pragmas."""
    config = alembic_config(service, database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()


def head_revision(service: str, database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(service, database_url)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_current(service: str, engine: Engine) -> None:
    """Refuse to serve on a schema older (or newer) than this code expects."""
    url = engine.url.render_as_string(hide_password=False)
    head = head_revision(service, url)
    current = current_revision(engine)
    if current != head:
        raise SchemaOutOfDate(
            f"the {service} database is at revision {current or 'none (empty)'}, "
            f"this code needs {head}; run: miniport db upgrade {service}"
        )
