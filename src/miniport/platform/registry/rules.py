"""The rules a registration must follow; each ``clean_*`` returns the value as stored.

URL rules, chosen so that nothing carrying a credential travels in clear text off the machine:

- redirect URIs (they receive authorization codes) must be absolute ``https`` URLs, or ``http``
  on a loopback host (``127.0.0.1``, ``[::1]``, ``localhost``: RFC 8252 §7.3), with no
  fragment (RFC 6749 §3.1.2) and no user name or password. They are matched exactly at
  authorization time, so they are stored exactly as given;
- a mini program's entry URL and a webhook URL must be absolute ``http``/``https`` URLs
  with a host and without a fragment;
- an icon or logo is empty, an absolute ``http``/``https`` URL, or a path on the platform;
- a mini program's allowed page paths start with a single ``/``, never climb with ``..``
  and carry no query or fragment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from miniport.platform.keys.keyring import SUPPORTED_ALGORITHMS
from miniport.platform.registry.errors import InvalidRegistration

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MAX_NAME_LENGTH = 128
MAX_URL_LENGTH = 2048
MAX_PAGE_PATH_LENGTH = 256
MAX_REDIRECT_URIS = 10
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def clean_slug(value: str) -> str:
    slug = value.strip().lower()
    if not SLUG_PATTERN.fullmatch(slug):
        raise InvalidRegistration(
            f"slug {value!r} must be 1-64 lowercase letters, digits or '-', "
            "not starting or ending with '-'",
            field="slug",
        )
    return slug


def clean_name(value: str, field: str) -> str:
    name = value.strip()
    if not name:
        raise InvalidRegistration(f"{field} must not be empty", field=field)
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRegistration(
            f"{field} must be at most {MAX_NAME_LENGTH} characters", field=field
        )
    if not name.isprintable():
        raise InvalidRegistration(f"{field} must not contain control characters", field=field)
    return name


def _has_unsafe_characters(value: str) -> bool:
    # Whitespace and control characters in a URL are how header injection and parser
    # disagreements start; a registered URL never needs them.
    return any(ch.isspace() or not ch.isprintable() for ch in value)


def clean_web_url(value: str, field: str) -> str:
    """An absolute http(s) URL with a host and without a fragment."""
    url = value.strip()
    if not url:
        raise InvalidRegistration(f"{field} must not be empty", field=field)
    if len(url) > MAX_URL_LENGTH or _has_unsafe_characters(url):
        raise InvalidRegistration(
            f"{field} must be at most {MAX_URL_LENGTH} characters with no spaces", field=field
        )
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as error:
        raise InvalidRegistration(f"{field} {url!r} is not a valid URL", field=field) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRegistration(
            f"{field} {url!r} must be an absolute http:// or https:// URL", field=field
        )
    if parts.fragment or url.endswith("#"):
        raise InvalidRegistration(f"{field} {url!r} must not contain a fragment", field=field)
    return url


def clean_redirect_uri(value: str) -> str:
    url = clean_web_url(value, "redirect URI")
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise InvalidRegistration(
            f"redirect URI {url!r} must not contain a user name or password",
            field="redirect_uris",
        )
    # A code sent to plain http can be read by anyone on the network path; only a loopback
    # address never leaves the machine (RFC 8252 §7.3, OAuth 2.0 Security BCP §4.1).
    if parts.scheme == "http" and (parts.hostname or "").lower() not in LOOPBACK_HOSTS:
        raise InvalidRegistration(
            f"redirect URI {url!r} must use https:// (http:// is allowed only for "
            "127.0.0.1, [::1] and localhost)",
            field="redirect_uris",
        )
    return url


def clean_redirect_uris(values: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    uris: list[str] = []
    for value in values:
        uri = clean_redirect_uri(value)
        if uri not in uris:
            uris.append(uri)
    if not uris:
        raise InvalidRegistration("at least one redirect URI is required", field="redirect_uris")
    if len(uris) > MAX_REDIRECT_URIS:
        raise InvalidRegistration(
            f"at most {MAX_REDIRECT_URIS} redirect URIs may be registered", field="redirect_uris"
        )
    return uris


def clean_optional_web_url(value: str | None, field: str) -> str | None:
    if value is None or not value.strip():
        return None
    return clean_web_url(value, field)


def clean_image_url(value: str, field: str) -> str:
    """Empty, an absolute http(s) URL, or a path served by the platform itself."""
    url = value.strip()
    if not url:
        return ""
    if url.startswith("/") and not url.startswith("//"):
        if len(url) > MAX_URL_LENGTH or _has_unsafe_characters(url):
            raise InvalidRegistration(f"{field} {url!r} is not a valid path", field=field)
        return url
    return clean_web_url(url, field)


def clean_page_path(value: str) -> str:
    path = value.strip()
    # Paths are joined onto the mini program's entry URL at launch: a path that is not
    # rooted, climbs with "..", or starts with "//" (a protocol-relative URL) could point
    # the user somewhere the brand never registered.
    if not path.startswith("/") or path.startswith("//"):
        raise InvalidRegistration(
            f"allowed path {value!r} must start with a single '/'", field="allowed_paths"
        )
    if ".." in path.split("/") or "\\" in path:
        raise InvalidRegistration(
            f"allowed path {value!r} must not contain '..' or '\\'", field="allowed_paths"
        )
    if "?" in path or "#" in path:
        raise InvalidRegistration(
            f"allowed path {value!r} is a page path: no query or fragment",
            field="allowed_paths",
        )
    if len(path) > MAX_PAGE_PATH_LENGTH or _has_unsafe_characters(path):
        raise InvalidRegistration(
            f"allowed path {value!r} must be at most {MAX_PAGE_PATH_LENGTH} characters "
            "with no spaces",
            field="allowed_paths",
        )
    return path


def clean_page_paths(values: Sequence[str]) -> list[str]:
    if isinstance(values, str):
        values = [values]
    paths: list[str] = []
    for value in values:
        path = clean_page_path(value)
        if path not in paths:
            paths.append(path)
    if not paths:
        raise InvalidRegistration(
            "at least one allowed path is required (for example /pages/index)",
            field="allowed_paths",
        )
    return paths


def clean_id_token_alg(value: str) -> str:
    if value not in SUPPORTED_ALGORITHMS:
        raise InvalidRegistration(
            f"id token algorithm {value!r} is not supported; use one of "
            + ", ".join(SUPPORTED_ALGORITHMS),
            field="id_token_alg",
        )
    return value
