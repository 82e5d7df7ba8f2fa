"""The host's migrations build what its models declare, with the search index of each
dialect, and search answers alike on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.migrate import (
    SchemaOutOfDate,
    alembic_config,
    current_revision,
    ensure_current,
    upgrade,
)
from miniport.host.brand_accounts import accounts_by_id, rank_accounts
from miniport.host.db import all_models
from miniport.host.runtime import HostRuntime
from miniport.host.search import search, terms_of
from miniport.host.search.models import is_dialect_index
from miniport.host.seed import seed_instance
from tests.host.conftest import GUCCI_APPID, HOST_PASSWORD, cheap_hasher, make_host_settings


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'host.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def _include(_object: object, name: str | None, type_: str, *_: object) -> bool:
    return not (type_ in ("table", "index") and is_dialect_index(name))


def test_migrations_create_exactly_what_the_models_declare(database_url: str) -> None:
    upgrade("host", database_url)

    engine = make_engine(database_url)
    try:
        ensure_current("host", engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_object": _include}
            )
            differences = compare_metadata(context, all_models())
    finally:
        engine.dispose()
    assert differences == [], "models changed without a migration: run alembic revision"


def test_each_dialect_gets_its_trigram_index(database_url: str) -> None:
    upgrade("host", database_url)

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                found = connection.scalar(
                    text("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")
                )
                assert "trigram" in str(found)
            else:
                found = connection.scalar(
                    text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                    {"name": "ix_search_documents_text_trgm"},
                )
                assert "gin_trgm_ops" in str(found)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("query", "slug"),
    [("Gucci", "gucci"), ("古驰", "gucci"), ("路易威登", "louis-vuitton"), ("LV", "louis-vuitton")],
)
def test_search_answers_alike_on_every_dialect(database_url: str, query: str, slug: str) -> None:
    upgrade("host", database_url)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    try:
        with sessions() as session, session.begin():
            seed_instance(
                session,
                cheap_hasher(),
                instance="xiaohongshu",
                password=HOST_PASSWORD,
                mp_links={"gucci": GUCCI_APPID},
            )
        with sessions() as session:
            hits = search(session, query)
            ranked = rank_accounts(
                list(accounts_by_id(session, hits.account_ids).values()), terms_of(query)
            )
            assert ranked[0].slug == slug
            assert hits.note_ids
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_upgrade_again(database_url: str) -> None:
    upgrade("host", database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            config = alembic_config("host", database_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade("host", database_url)


def test_the_host_will_not_start_on_an_empty_database(tmp_path: Path) -> None:
    with pytest.raises(SchemaOutOfDate, match="host"):
        HostRuntime.build(make_host_settings(tmp_path))
