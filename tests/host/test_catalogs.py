"""Every text the host shows has a Chinese translation; English is the msgid itself."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import miniport.common
import miniport.host
from miniport.host.web.templating import LOCALE_DIR

HOST_DIR = Path(miniport.host.__file__).parent
COMMON_DIR = Path(miniport.common.__file__).parent
# The shared modules whose texts the host's pages show (form errors, page errors).
COMMON_SOURCES = ("forms.py", "templating.py", "control_characters.py")


def extracted() -> set[str]:
    """The msgids ``pybabel extract -F babel.cfg`` finds in the host package and the shared
    modules it uses (the command in the catalogs' header)."""
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    options_map = {
        "**/templates/**.html": {
            "extensions": "jinja2.ext.i18n",
            "trimmed": "true",
            "newstyle_gettext": "true",
        }
    }
    found = [
        *extract_from_dir(HOST_DIR, method_map, options_map),
        *extract_from_dir(COMMON_DIR, [(name, "python") for name in COMMON_SOURCES]),
    ]
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in found
    }


def catalog(locale: str) -> dict[str, str]:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {str(m.id): str(m.string) for m in read_po(po, locale=locale) if m.id}


def test_every_message_is_in_both_catalogs() -> None:
    wanted = extracted()

    for locale in ("zh_CN", "en"):
        assert wanted <= set(catalog(locale)), f"run pybabel update for {locale}"


def test_every_message_has_a_chinese_translation() -> None:
    untranslated = [msgid for msgid, text in catalog("zh_CN").items() if not text]

    assert untranslated == []
