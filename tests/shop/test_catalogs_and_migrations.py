"""Every message of the store is translated in both catalogs, and the migrations build
exactly the schema the models declare."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import miniport.common
import miniport.shop
from miniport.common.db import make_engine
from miniport.common.i18n import LOCALES, Catalogs
from miniport.common.migrate import (
    SchemaOutOfDate,
    alembic_config,
    current_revision,
    ensure_current,
    head_revision,
    upgrade,
)
from miniport.shop.db import all_models
from miniport.shop.web.templating import LOCALE_DIR

REPO = Path(__file__).resolve().parents[2]
SHOP_SOURCES = Path(miniport.shop.__file__).parent
COMMON_SOURCES = Path(miniport.common.__file__).parent
# The shared modules whose texts the store's pages show (form errors, page errors).
SHARED_MODULES = ("forms.py", "templating.py", "control_characters.py")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> dict[str, str]:
    with (REPO / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in [
        *extract_from_dir(SHOP_SOURCES, method_map, options_map),
        *extract_from_dir(COMMON_SOURCES, [(name, "python") for name in SHARED_MODULES]),
    ]:
        # A plural message is one catalog entry, found by its singular msgid.
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    used = _extracted()
    assert "Add to bag" in used and "This link has expired" in used  # templates and code
    catalog = _catalog(locale)
    problems = []
    for msgid, where in sorted(used.items()):
        message = catalog.get(msgid)
        if message is None or not message.string or message.fuzzy:
            problems.append(f"{where}: {msgid!r} untranslated")
            continue
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = set(PLACEHOLDER.findall(msgid))
        if any(set(PLACEHOLDER.findall(text)) != wanted for text in strings):
            problems.append(f"{where}: {msgid!r} placeholders differ")
    assert not problems, f"{locale}:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_stale_entries(locale: str) -> None:
    used = _extracted()
    stale = [
        m.id
        for m in _catalog(locale)
        if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in used
    ]
    assert not stale, f"remove or re-extract: {stale}"


def test_catalogs_compile_in_memory() -> None:
    catalogs = Catalogs.load(LOCALE_DIR)
    assert catalogs.get("zh_CN").gettext("Add to bag") == "加入购物袋"
    assert catalogs.get("en").gettext("Add to bag") == "Add to bag"
    assert not list(LOCALE_DIR.rglob("*.mo")), "compiled catalogs must not be committed"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def test_migrations_create_exactly_what_the_models_declare(database_url: str) -> None:
    upgrade("shop", database_url)
    engine = make_engine(database_url)
    try:
        assert current_revision(engine) == head_revision("shop")
        ensure_current("shop", engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, all_models()) == []
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_upgrade_again(database_url: str) -> None:
    upgrade("shop", database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            config = alembic_config("shop", database_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            connection.commit()
        with pytest.raises(SchemaOutOfDate, match="shop"):
            ensure_current("shop", engine)
    finally:
        engine.dispose()
    upgrade("shop", database_url)
