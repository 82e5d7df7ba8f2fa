"""Where ✕ on the mini-program container goes back to: only a page of this same site."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_RETURN = "/"
MAX_RETURN_LENGTH = 2048


def safe_return(candidate: str | None, default: str = DEFAULT_RETURN) -> str:
    """``candidate`` when it is a same-site relative path, else ``default``.

    A return URL taken from a query string would otherwise be an open redirect carrying the
    host's name. Only ``/path`` is accepted: ``//host`` is scheme-relative, browsers read
    ``\\`` as ``/`` and drop tabs and newlines, so ``/\\tevil`` would leave the site too.
    """
    if not candidate or len(candidate) > MAX_RETURN_LENGTH:
        return default
    if not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate
