"""Mini-program pages and their queries: which paths may be opened, and with what query.

A path names one of the mini program's registered pages (``/pages/product``); the leading
``/`` may be left out, as developers of this API family write ``pages/product``. A query
follows the family's rule: at most 1024 characters of digits, ASCII letters and
``!#$&'()*+,/:;=?@-._~%`` — anything else must arrive percent-encoded.
"""

from __future__ import annotations

import re

from miniport.platform.miniprogram_api.directory import MiniProgramEntry
from miniport.platform.miniprogram_api.errors import InvalidPagePath, InvalidQuery

MAX_PATH_LENGTH = 1024
MAX_QUERY_LENGTH = 1024
_QUERY_CHARS = re.compile(r"[0-9A-Za-z!#$&'()*+,/:;=?@\-._~%]*")


def page(entry: MiniProgramEntry, path: str) -> str:
    """The registered page ``path`` names (without any query); 40165 otherwise."""
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidPagePath("invalid weapp pagepath: longer than 1024 characters")
    normalized = path if path.startswith("/") else "/" + path
    if normalized not in entry.allowed_paths:
        raise InvalidPagePath(f"invalid weapp pagepath: {path} is not a page of {entry.appid}")
    return normalized


def query(value: str) -> str:
    """A query string the mini program may receive; 40212 otherwise."""
    if len(value) > MAX_QUERY_LENGTH:
        raise InvalidQuery("invalid query: longer than 1024 characters")
    if not _QUERY_CHARS.fullmatch(value):
        raise InvalidQuery("invalid query: use only letters, digits and !#$&'()*+,/:;=?@-._~%")
    return value


def target(entry: MiniProgramEntry, path: str, extra_query: str | None) -> str:
    """``page?query`` for a launch: ``path`` may carry a query, ``extra_query`` adds to it."""
    page_part, mark, path_query = path.partition("?")
    opened = page(entry, page_part)
    parts = [part for part in (path_query if mark else "", extra_query or "") if part]
    joined = query("&".join(parts))
    return f"{opened}?{joined}" if joined else opened
