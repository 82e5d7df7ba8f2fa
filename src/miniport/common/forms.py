"""Reading HTML form posts strictly: malformed input is a translated 4xx page, never a 500.

Browsers send ``application/x-www-form-urlencoded`` UTF-8. A service makes its reader with
``form_reader`` (its own size limits) and uses it as a FastAPI dependency; the reader and
``FormData`` raise ``FormError``, which ``miniport.common.templating.install_page_errors``
shows as a page in the reader's language. Every ``message`` here is a msgid marked with
``N_``, so each service's catalog translates it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import Request

from miniport.common.i18n import N_

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
# A whole number as a page writes one into a form: ASCII digits, no sign, no leading zero.
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)


class MalformedInput(ValueError):
    """Input no route should see; ``message`` is a translatable msgid."""

    def __init__(self, message: str, *, status_code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class FormError(MalformedInput):
    """A form post to an HTML page that cannot be used; shown as a translated error page."""


def _is_control(char: str, *, multiline: bool) -> bool:
    if multiline and char in "\r\n\t":
        return False
    return unicodedata.category(char) in {"Cc", "Cs"}


@dataclass(frozen=True)
class FormData:
    fields: Mapping[str, tuple[str, ...]]

    def optional(self, name: str, *, max_length: int, multiline: bool = False) -> str | None:
        """The single value of ``name``, or ``None`` when the form does not have it."""
        values = self.fields.get(name, ())
        if not values:
            return None
        # A repeated field is ambiguous, and a way to smuggle a second value past a check.
        if len(values) > 1:
            raise FormError(N_("The form contained a field more than once."))
        value = values[0]
        if len(value) > max_length:
            raise FormError(N_("A field in the form is too long."))
        if any(_is_control(char, multiline=multiline) for char in value):
            raise FormError(N_("A field in the form contains characters that are not allowed."))
        return value

    def required(self, name: str, *, max_length: int, multiline: bool = False) -> str:
        value = self.optional(name, max_length=max_length, multiline=multiline)
        if value is None or not value.strip():
            raise FormError(N_("Please fill in every required field."))
        return value

    def text(self, name: str, *, max_length: int, multiline: bool = False) -> str:
        """The value of ``name``; an absent field reads as empty."""
        return self.optional(name, max_length=max_length, multiline=multiline) or ""

    def integer(self, name: str, *, minimum: int, maximum: int) -> int:
        """The whole number ``name`` (``0 <= minimum``), written as ``_DECIMAL``: ``int()``
        would also take signs, spaces, underscores and other scripts' digits, which no page
        of ours writes and an OpenAPI pattern would have to spell out."""
        value = self.optional(name, max_length=12) or ""
        if not _DECIMAL.fullmatch(value):
            raise FormError(N_("A number in the form could not be read."))
        number = int(value)
        if not minimum <= number <= maximum:
            raise FormError(N_("A number in the form is out of range."))
        return number


def form_reader(*, max_bytes: int, max_fields: int) -> Callable[[Request], Awaitable[FormData]]:
    """A FastAPI dependency reading the posted form within these limits."""

    async def read_form(request: Request) -> FormData:
        """The posted form; raises ``FormError`` when malformed."""
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != FORM_MEDIA_TYPE:
            raise FormError(
                N_("This address only accepts forms sent by a browser."), status_code=415
            )
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_bytes:
                raise FormError(N_("The form is too large."), status_code=413)
        try:
            pairs = parse_qsl(
                body.decode("utf-8"),
                keep_blank_values=True,
                errors="strict",
                max_num_fields=max_fields,
            )
        except (UnicodeDecodeError, ValueError) as error:
            raise FormError(N_("The form could not be read.")) from error
        fields: dict[str, list[str]] = {}
        for name, value in pairs:
            fields.setdefault(name, []).append(value)
        return FormData(fields={name: tuple(values) for name, values in fields.items()})

    return read_form
