"""Reading form posts and query strings strictly, so malformed input gets a 4xx, never a 500.

Browsers and OAuth clients send ``application/x-www-form-urlencoded`` UTF-8. Anything else
(an oversized body, bytes that are not UTF-8, control characters) is refused here, before
any route logic sees it. Two faces over one parser:

- ``form_params`` / ``query_params`` / ``single_values`` for protocol endpoints, raising
  ``InvalidRequest`` (mapped to RFC 6749 JSON, a redirect or an error page by the caller);
- ``read_form`` (a dependency) and ``FormData`` for the platform's own HTML pages, raising
  ``FormError``, which ``templating.install_page_errors`` shows as a translated page.

``MalformedInput``, ``FormError`` and ``FormData`` are the ones every service shares
(``miniport.common.forms``); only the parsing limits and the protocol face are the
platform's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from starlette.requests import Request

from miniport.common.forms import FORM_MEDIA_TYPE, FormData, FormError, MalformedInput
from miniport.common.i18n import N_
from miniport.platform.oauth.errors import InvalidRequest
from miniport.platform.web.fastpath import read_body

MAX_FORM_BYTES = 64 * 1024
MAX_FIELDS = 64


# Unicode's control characters (category Cc: C0, DEL and C1) and lone surrogates (Cs): one
# regex search per name rather than a ``unicodedata`` call per character.
_CONTROL_OR_SURROGATE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def parse_urlencoded(raw: bytes) -> dict[str, list[str]]:
    """Every value of every field, in order; raises ``MalformedInput``."""
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError as exc:
        raise MalformedInput(N_("The form was not sent as UTF-8 text.")) from exc
    except ValueError as exc:
        raise MalformedInput(N_("The form has too many fields.")) from exc
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        # NUL and friends have no business in any parameter, and some databases refuse them.
        if _CONTROL_OR_SURROGATE.search(name) or "\x00" in value:
            raise MalformedInput(
                N_("A field in the form contains characters that are not allowed.")
            )
        params.setdefault(name, []).append(value)
    return params


async def _read_body(request: Request) -> bytes:
    content_type = request.headers.get("content-type")
    if content_type is None and request.headers.get("content-length", "0") == "0":
        return b""  # a form with no fields at all is sent without a body or a type
    media_type, _, options = (content_type or "").partition(";")
    if media_type.strip().lower() != FORM_MEDIA_TYPE:
        raise MalformedInput(
            N_("This address only accepts forms sent by a browser."), status_code=415
        )
    for option in options.split(";"):
        name, _, value = option.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            raise MalformedInput(N_("The form was not sent as UTF-8 text."), status_code=415)
    return await read_body(request, limit=MAX_FORM_BYTES, too_large=_too_large)


def _too_large() -> MalformedInput:
    return MalformedInput(N_("The form is too large."), status_code=413)


# --- protocol endpoints -----------------------------------------------------------------


async def form_params(request: Request) -> dict[str, list[str]]:
    """The urlencoded body of a protocol request; raises ``InvalidRequest``."""
    try:
        return parse_urlencoded(await _read_body(request))
    except MalformedInput as exc:
        raise InvalidRequest(_protocol_description(exc)) from exc


def query_params(request: Request) -> dict[str, list[str]]:
    """The query string of a protocol request; raises ``InvalidRequest``."""
    try:
        return parse_urlencoded(request.scope.get("query_string", b""))
    except MalformedInput as exc:
        raise InvalidRequest(_protocol_description(exc)) from exc


def single_values(params: Mapping[str, list[str]]) -> dict[str, str]:
    """One value per parameter; RFC 6749 §3.1 forbids repeating any of them."""
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        raise InvalidRequest(f"parameters must not be repeated: {', '.join(repeated)}")
    return {name: values[0] for name, values in params.items() if values}


def _protocol_description(exc: MalformedInput) -> str:
    return {
        413: "the request body is too large",
        415: f"the body must be {FORM_MEDIA_TYPE} in UTF-8",
    }.get(exc.status_code, "the parameters are not valid UTF-8 form encoding")


# --- the platform's HTML forms ----------------------------------------------------------


async def read_form(request: Request) -> FormData:
    """The posted HTML form (a FastAPI dependency); raises ``FormError`` when malformed."""
    try:
        params = parse_urlencoded(await _read_body(request))
    except MalformedInput as exc:
        raise FormError(exc.message, status_code=exc.status_code) from exc
    return FormData(fields={name: tuple(values) for name, values in params.items()})


__all__ = [
    "MAX_FIELDS",
    "MAX_FORM_BYTES",
    "FormData",
    "form_params",
    "parse_urlencoded",
    "query_params",
    "read_form",
    "single_values",
]
