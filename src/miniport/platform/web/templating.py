"""Jinja2 templates for platform pages: per-request locale, CSRF field, page-level errors.

Every template gets what ``miniport.common.templating`` gives every page (``locale``,
``html_lang``, ``gettext``/``ngettext``, ``localized(obj, "name")``, ``language_links``,
``csrf_input(request)``) and, from the platform, ``platform_name`` (in the page's language)
and ``format_time(dt)``.

``error.html`` translates its ``title`` and ``message``: pass a msgid marked with ``N_``
and readers see it in their language; any other text is shown as given.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from babel.dates import format_datetime
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from miniport.common import templating
from miniport.common.i18n import N_, Catalogs
from miniport.platform.runtime import PlatformRuntime

TEMPLATE_DIR = Path(__file__).parent / "templates"
LOCALE_DIR = Path(__file__).parent / "locales"

# Pages hold CSRF tokens and personal data: never cached, never framed (a framed consent
# page could be overlaid to trick a click on "Allow"), and no full URLs leaked to images.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https: http:; "
        "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

# Why a form that did not come from this site's own page was refused.
CSRF_REFUSED = N_(
    "For your safety the request was not carried out: it did not come from a page "
    "of this site opened in this browser. Go back, reload the page and try again."
)


def build_templates(runtime: PlatformRuntime) -> Jinja2Templates:
    settings = runtime.settings

    def platform_context(request: Request, locale: str) -> dict[str, Any]:
        def format_time(value: dt.datetime) -> str:
            return format_datetime(value, "medium", tzinfo=dt.UTC, locale=locale) + " UTC"

        chinese = locale.startswith("zh")
        return {
            "platform_name": settings.display_name_zh if chinese else settings.display_name_en,
            "format_time": format_time,
        }

    return templating.build_templates(
        template_dir=TEMPLATE_DIR,
        catalogs=Catalogs.load(LOCALE_DIR),
        service_context=platform_context,
    )


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    return templating.render_page(
        request, name, context, status_code=status_code, headers=PAGE_HEADERS
    )


def render_error(request: Request, *, title: str, message: str, status_code: int) -> HTMLResponse:
    return render(
        request, "error.html", {"title": title, "message": message}, status_code=status_code
    )


def install_page_errors(app: FastAPI) -> None:
    """Map the form-level errors of browser pages to translated HTML pages."""
    templating.install_page_errors(app, error_page=render_error, csrf_message=CSRF_REFUSED)
