"""Translations from Babel ``.po`` catalogs, and choosing a locale per request.

Catalogs live as ``<locales>/<locale>/LC_MESSAGES/messages.po`` and are compiled in memory
at start-up, so no generated ``.mo`` file is ever committed or goes stale. The locale of a
request is, in order: ``?lang=`` (which also sets the ``mp_lang`` cookie), that cookie,
``Accept-Language``, then the default. Templates get per-request ``gettext`` callables in
their context (``jinja_context``), never environment-wide ones, so concurrent requests in
different languages cannot see each other's translations.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LOCALE = "zh_CN"
LOCALES: tuple[str, ...] = ("zh_CN", "en")
LOCALE_COOKIE = "mp_lang"
LOCALE_QUERY = "lang"
DOMAIN = "messages"
_SCOPE_KEY = "miniport.locale"
_COOKIE_MAX_AGE = 365 * 24 * 3600


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where the locale is known.

    Named ``N_`` because that is a keyword ``pybabel extract`` looks for by default.
    """
    return message


class CatalogError(RuntimeError):
    """A locale's catalog is missing or cannot be read."""


@dataclass(frozen=True)
class Catalogs:
    """Compiled translations per locale, loaded once at start-up."""

    by_locale: Mapping[str, Translations]
    default: str

    @classmethod
    def load(
        cls, directory: Path, *, locales: Sequence[str] = LOCALES, default: str = DEFAULT_LOCALE
    ) -> Catalogs:
        loaded: dict[str, Translations] = {}
        for locale in locales:
            path = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
            if not path.is_file():
                raise CatalogError(f"no catalog for {locale}: {path} is missing")
            with path.open("rb") as po:
                catalog = read_po(po, locale=locale, domain=DOMAIN)
            compiled = io.BytesIO()
            write_mo(compiled, catalog)
            compiled.seek(0)
            loaded[locale] = Translations(fp=compiled, domain=DOMAIN)
        if default not in loaded:
            raise CatalogError(f"the default locale {default} is not among {list(locales)}")
        return cls(by_locale=loaded, default=default)

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self.by_locale)

    def get(self, locale: str) -> Translations:
        return self.by_locale.get(locale) or self.by_locale[self.default]


def match_locale(value: str, available: Sequence[str]) -> str | None:
    """The available locale a tag such as ``zh-CN``, ``zh_Hans`` or ``EN-us`` asks for."""
    tag = value.strip().replace("-", "_").lower()
    if not tag or tag == "*":
        return None
    for locale in available:
        if tag == locale.lower():
            return locale
    language = tag.split("_", 1)[0]
    for locale in available:
        if locale.split("_", 1)[0].lower() == language:
            return locale
    return None


def parse_accept_language(header: str) -> list[str]:
    """Language tags from ``Accept-Language``, most preferred first (RFC 9110 §12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, raw = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(raw)
                except ValueError:
                    quality = 0.0
        if tag and 0.0 < quality <= 1.0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate_locale(
    *,
    query: str | None,
    cookie: str | None,
    accept_language: str | None,
    available: Sequence[str] = LOCALES,
    default: str = DEFAULT_LOCALE,
) -> str:
    for explicit in (query, cookie):
        if explicit and (chosen := match_locale(explicit, available)):
            return chosen
    for tag in parse_accept_language(accept_language or ""):
        if chosen := match_locale(tag, available):
            return chosen
    return default


class LocaleMiddleware:
    """Chooses each request's locale and remembers an explicit ``?lang=`` in a cookie."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secure: bool,
        available: Sequence[str] = LOCALES,
        default: str = DEFAULT_LOCALE,
    ) -> None:
        self.app = app
        self.secure = secure
        self.available = tuple(available)
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        asked = _last_query_value(scope.get("query_string", b""), LOCALE_QUERY)
        chosen_by_query = match_locale(asked, self.available) if asked else None
        scope[_SCOPE_KEY] = negotiate_locale(
            query=chosen_by_query,
            cookie=connection.cookies.get(LOCALE_COOKIE),
            accept_language=connection.headers.get("accept-language"),
            available=self.available,
            default=self.default,
        )
        if chosen_by_query is None:
            await self.app(scope, receive, send)
            return
        header = self._cookie_header(chosen_by_query)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", header)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _cookie_header(self, locale: str) -> bytes:
        cookie: SimpleCookie = SimpleCookie()
        cookie[LOCALE_COOKIE] = locale
        morsel = cookie[LOCALE_COOKIE]
        morsel["path"] = "/"
        morsel["max-age"] = _COOKIE_MAX_AGE
        morsel["samesite"] = "Lax"
        morsel["httponly"] = True
        if self.secure:
            morsel["secure"] = True
        return morsel.OutputString().encode("latin-1")


def _last_query_value(query_string: bytes, name: str) -> str | None:
    try:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    except ValueError:
        return None
    values = [value for key, value in pairs if key == name]
    return values[-1] if values else None


def request_locale(connection: HTTPConnection) -> str:
    """The locale ``LocaleMiddleware`` chose; the default when it is not installed."""
    locale = connection.scope.get(_SCOPE_KEY)
    return locale if isinstance(locale, str) else DEFAULT_LOCALE


def html_lang(locale: str) -> str:
    """BCP 47 form for ``<html lang>``: ``zh_CN`` → ``zh-CN``."""
    return locale.replace("_", "-")


def _autoescaped(context: Context, text: str) -> str:
    # Catalog text is ours and trusted, as in Jinja's own wrapper; only the %-substituted
    # variables are untrusted, and Markup's % escapes them.
    return Markup(text) if context.eval_ctx.autoescape else text  # noqa: S704


def _newstyle_gettext(translations: Translations) -> Callable[..., str]:
    """``gettext`` the way Jinja's ``newstyle_gettext`` calls it, bound to one catalog.

    Unlike Jinja's own wrapper, a message is %-formatted only when variables are given:
    templates also translate strings handed to them by code (error pages), and such a string
    may legitimately contain ``%`` (a percent-encoded URL) without being a format string.
    """

    @pass_context
    def gettext(__context: Context, __string: str, **variables: Any) -> str:
        rv = _autoescaped(__context, translations.gettext(__string))
        return rv % variables if variables else rv

    return gettext


def _newstyle_ngettext(translations: Translations) -> Callable[..., str]:
    @pass_context
    def ngettext(
        __context: Context, __singular: str, __plural: str, __num: int, **variables: Any
    ) -> str:
        variables.setdefault("num", __num)
        rv = _autoescaped(__context, translations.ngettext(__singular, __plural, __num))
        return rv % variables

    return ngettext


def jinja_context(translations: Translations) -> dict[str, Any]:
    """The per-request callables the ``jinja2.ext.i18n`` extension looks up by name."""
    return {
        "gettext": _newstyle_gettext(translations),
        "ngettext": _newstyle_ngettext(translations),
    }
