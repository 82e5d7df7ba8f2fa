"""Jinja2 templates for platform pages: per-request locale, CSRF field, page-level errors.

Every template gets, besides what its route passes: ``locale``, ``html_lang``,
``platform_name`` (in the page's language), ``gettext``/``ngettext`` (what ``{% trans %}``
and ``_()`` call), ``localized(obj, "name")`` (picks ``name_zh`` or ``name_en``),
``format_time(dt)``, ``language_links`` and the global ``csrf_input(request)``.

``error.html`` translates its ``title`` and ``message``: pass a msgid marked with ``N_``
and readers see it in their language; any other text is shown as given.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_datetime
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from miniport.common.csrf import CsrfError, csrf_input
from miniport.common.i18n import (
    LOCALE_QUERY,
    LOCALES,
    N_,
    Catalogs,
    html_lang,
    jinja_context,
    request_locale,
)
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.forms import FormError

TEMPLATE_DIR = Path(__file__).parent / "templates"
LOCALE_DIR = Path(__file__).parent / "locales"

# The language switch shows each language in its own name, as readers look for it.
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}

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


def _language_links(request: Request, current: str) -> list[dict[str, Any]]:
    links = []
    for locale in LOCALES:
        target = request.url.include_query_params(**{LOCALE_QUERY: locale})
        links.append(
            {
                "locale": locale,
                "lang": html_lang(locale),
                "label": LANGUAGE_NAMES.get(locale, locale),
                # Query-only reference: the same page, whatever its path looks like.
                "href": "?" + target.query,
                "current": locale == current,
            }
        )
    return links


def build_templates(runtime: PlatformRuntime) -> Jinja2Templates:
    settings = runtime.settings
    catalogs = Catalogs.load(LOCALE_DIR)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    # Null callables as the fallback (a template rendered outside a request); newstyle so
    # %(name)s placeholders are escaped and checked. Requests override them per locale.
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["csrf_input"] = csrf_input

    def page_context(request: Request) -> dict[str, Any]:
        locale = request_locale(request)
        chinese = locale.startswith("zh")

        def localized(obj: object, field: str) -> str:
            value = getattr(obj, f"{field}_zh" if chinese else f"{field}_en", "")
            return str(value or getattr(obj, f"{field}_zh", "") or "")

        def format_time(value: dt.datetime) -> str:
            return format_datetime(value, "medium", tzinfo=dt.UTC, locale=locale) + " UTC"

        return {
            **jinja_context(catalogs.get(locale)),
            "locale": locale,
            "html_lang": html_lang(locale),
            "platform_name": settings.display_name_zh if chinese else settings.display_name_en,
            "localized": localized,
            "format_time": format_time,
            "language_links": _language_links(request, locale),
        }

    return Jinja2Templates(env=env, context_processors=[page_context])


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


def render_error(request: Request, *, title: str, message: str, status_code: int) -> HTMLResponse:
    return render(
        request, "error.html", {"title": title, "message": message}, status_code=status_code
    )


async def _csrf_failed(request: Request, exc: Exception) -> HTMLResponse:
    return render_error(
        request,
        title=N_("This form has expired"),
        message=N_(
            "For your safety the request was not carried out: it did not come from a page "
            "of this site opened in this browser. Go back, reload the page and try again."
        ),
        status_code=403,
    )


async def _form_refused(request: Request, exc: Exception) -> HTMLResponse:
    status_code = exc.status_code if isinstance(exc, FormError) else 400
    message = exc.message if isinstance(exc, FormError) else N_("The form could not be read.")
    return render_error(
        request, title=N_("The form could not be used"), message=message, status_code=status_code
    )


def install_page_errors(app: FastAPI) -> None:
    """Map the form-level errors of browser pages to translated HTML pages."""
    app.add_exception_handler(CsrfError, _csrf_failed)
    app.add_exception_handler(FormError, _form_refused)
