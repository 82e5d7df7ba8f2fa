"""Where a browser may be sent after signing in: only back to a page of this same site."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_AFTER_SIGNIN = "/account/authorizations"
_MAX_NEXT_LENGTH = 4096


def safe_next(candidate: str | None, default: str = DEFAULT_AFTER_SIGNIN) -> str:
    """``candidate`` when it is a same-site relative path, else ``default``.

    An attacker-chosen ``next`` would turn the sign-in page into an open redirect that
    lends the platform's name to a phishing site. Only ``/path`` is accepted: ``//host`` is
    scheme-relative, browsers read ``\\`` as ``/``, and they silently drop tabs and
    newlines, so ``/\\tevil`` or ``/\\n/evil`` would also leave the site.
    """
    if not candidate or len(candidate) > _MAX_NEXT_LENGTH:
        return default
    if not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate
