"""Alembic, driven from code: one migration history per service under ``migrations/<service>``.

Migrating imports Alembic; checking that a database is current (``ensure_current``, done by
every serving process at start-up) does not. Alembic brings Mako, Pygments and every
SQLAlchemy dialect with it — about 10 MB that a worker would otherwise carry for good — so
the check reads the migration files' own ``revision``/``down_revision`` lines and the
``alembic_version`` table directly; a test holds it to Alembic's answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

import miniport
from miniport.common.db import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

# ``revision: str = "0003"`` and ``down_revision: … = "0002"`` (or None, or a tuple of ids
# for a merge), as Alembic's template writes them.
_REVISION_LINE = re.compile(
    r"^(?P<name>revision|down_revision)\s*(?::[^=\n]*)?=(?P<value>[^\n]*)$", re.MULTILINE
)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


class SchemaOutOfDate(RuntimeError):
    """The database is not at the newest migration; the message names the command to run."""


def migrations_root() -> Path:
    package = Path(miniport.__file__).parent
    bundled = package / "_migrations"  # where the wheel puts them
    if bundled.is_dir():
        return bundled
    return package.parents[1] / "migrations"  # a source checkout / editable install


def alembic_config(service: str, database_url: str) -> Config:
    from alembic.config import Config  # noqa: PLC0415  (see the module docstring)

    config = Config()
    config.set_main_option("script_location", str(migrations_root() / service))
    # ConfigParser would treat % in a password as interpolation.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["service"] = service
    return config


def upgrade(
    service: str,
    database_url: str,
    revision: str = "head",
    *,
    attributes: Mapping[str, object] | None = None,
) -> None:
    """Migrate to ``revision``, through our engine so SQLite gets its directory and pragmas.

    ``attributes`` reach the migrations as ``context.config.attributes`` (the platform's
    migrations that encrypt existing values read the at-rest cipher there).
    """
    from alembic import command  # noqa: PLC0415  (see the module docstring)

    config = alembic_config(service, database_url)
    config.attributes.update(attributes or {})
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            connection.commit()
    finally:
        engine.dispose()


def head_revision(service: str) -> str | None:
    """The newest revision of ``service``'s history, read from its files without Alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((migrations_root() / service / "versions").glob("*.py")):
        for line in _REVISION_LINE.finditer(path.read_text("utf-8")):
            ids = _QUOTED.findall(line["value"])
            (revisions if line["name"] == "revision" else parents).update(ids)
    heads = revisions - parents
    if len(heads) > 1:
        raise SchemaOutOfDate(f"the {service} history has several heads: {sorted(heads)}")
    return heads.pop() if heads else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_current(service: str, engine: Engine) -> None:
    """Refuse to serve on a schema older (or newer) than this code expects."""
    head = head_revision(service)
    current = current_revision(engine)
    if current != head:
        raise SchemaOutOfDate(
            f"the {service} database is at revision {current or 'none (empty)'}, "
            f"this code needs {head}; run: miniport db upgrade {service}"
        )
