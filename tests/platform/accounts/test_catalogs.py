"""Every message the platform's pages show is translated in both catalogs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

import miniport.common
import miniport.platform
from miniport.common.i18n import LOCALES, Catalogs
from miniport.platform.web.templating import LOCALE_DIR, TEMPLATE_DIR

REPO = Path(__file__).resolve().parents[3]
PLATFORM_SOURCES = Path(miniport.platform.__file__).parent
COMMON_SOURCES = Path(miniport.common.__file__).parent
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted(directory: Path) -> dict[str, str]:
    """msgid → where it was found, using the same babel.cfg as ``pybabel extract``, with the
    shared form and page errors (``common/forms.py``, ``common/templating.py``,
    ``common/control_characters.py``) that the platform's catalogs also hold."""
    with (REPO / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in [
        *extract_from_dir(directory, method_map, options_map),
        *extract_from_dir(
            COMMON_SOURCES,
            [(name, "python") for name in ("forms.py", "templating.py", "control_characters.py")],
        ),
    ]:
        msgids = message if isinstance(message, tuple) else (message,)
        for msgid in msgids:
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def test_templates_use_translated_messages() -> None:
    in_templates = f"{TEMPLATE_DIR.relative_to(PLATFORM_SOURCES)}/"
    used = {
        msgid: where
        for msgid, where in _extracted(PLATFORM_SOURCES).items()
        if where.startswith(in_templates)
    }
    # The extractor really parsed the templates (not silently skipped them).
    assert "%(host)s requests to run the mini program with your %(platform)s identity" in used
    assert "Allow" in used and "Deny" in used
    _assert_translated(used)


def test_platform_code_uses_translated_messages() -> None:
    used = _extracted(PLATFORM_SOURCES)
    assert "Wrong username or password." in used
    _assert_translated(used)


def _assert_translated(used: dict[str, str]) -> None:
    for locale in LOCALES:
        catalog = _catalog(locale)
        problems = []
        for msgid, where in sorted(used.items()):
            message = catalog.get(msgid)
            if message is None or not message.string or message.fuzzy:
                problems.append(f"{where}: {msgid!r} untranslated")
            elif set(PLACEHOLDER.findall(msgid)) != set(PLACEHOLDER.findall(str(message.string))):
                problems.append(f"{where}: {msgid!r} placeholders differ")
        assert not problems, f"{locale}:\n" + "\n".join(problems)


def test_catalogs_compile_in_memory() -> None:
    catalogs = Catalogs.load(LOCALE_DIR)
    assert catalogs.locales == LOCALES
    assert catalogs.get("zh_CN").gettext("Allow") == "允许"
    assert catalogs.get("en").gettext("Allow") == "Allow"
    assert catalogs.get("xx").gettext("Deny") == "拒绝"  # unknown → the default locale
    assert not list(LOCALE_DIR.rglob("*.mo")), "compiled catalogs must not be committed"


def test_the_consent_sentence_reads_as_specified() -> None:
    catalogs = Catalogs.load(LOCALE_DIR)
    msgid = "%(host)s requests to run the mini program with your %(platform)s identity"
    values = {"host": "小红书", "platform": "微信"}
    assert catalogs.get("zh_CN").gettext(msgid) % values == "小红书申请以你的微信身份运行小程序"
    assert (
        catalogs.get("en").gettext(msgid) % {"host": "Xiaohongshu", "platform": "WeChat"}
        == "Xiaohongshu requests to run the mini program with your WeChat identity"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_has_no_stale_entries(locale: str) -> None:
    used = _extracted(PLATFORM_SOURCES)
    stale = [message.id for message in _catalog(locale) if message.id and message.id not in used]
    assert not stale, f"remove or re-extract: {stale}"
