"""Jinja2 templates for host pages: per-request locale, CSRF field, branding, error pages.

Every template gets, besides what its route passes: ``locale``, ``html_lang``, ``host`` (the
settings, for colours and names), ``app_name`` and ``tagline`` in the page's language,
``gettext``/``ngettext``, ``localized(obj, "name")`` (``name_zh`` or ``name_en``),
``count(n)`` (a compact follower or like count), ``language_links``, ``signed_in`` and the
global ``csrf_input(request)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from babel.numbers import format_compact_decimal
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from miniport.common.csrf import CsrfError, csrf_input
from miniport.common.i18n import LOCALE_QUERY, LOCALES, N_, Catalogs, html_lang, jinja_context
from miniport.common.i18n import request_locale as locale_of
from miniport.host.settings import HostSettings
from miniport.host.web.deps import get_signin
from miniport.host.web.forms import FormError

WEB_DIR = Path(__file__).parent
TEMPLATE_DIR = WEB_DIR / "templates"
LOCALE_DIR = WEB_DIR / "locales"
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}

# Pages carry CSRF tokens and personal data: never cached, never framed by other sites.
# Mini-program icons may come from the platform or the brand, hence any http(s) image.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: https: http:; style-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self' {forms}"
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
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
                "href": "?" + target.query,
                "current": locale == current,
            }
        )
    return links


def build_templates(settings: HostSettings) -> Jinja2Templates:
    catalogs = Catalogs.load(LOCALE_DIR)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["csrf_input"] = csrf_input

    def page_context(request: Request) -> dict[str, Any]:
        locale = locale_of(request)
        chinese = locale.startswith("zh")

        def localized(obj: object, field: str) -> str:
            value = getattr(obj, f"{field}_zh" if chinese else f"{field}_en", "")
            return str(value or getattr(obj, f"{field}_zh", "") or "")

        def count(number: int) -> str:
            if number < 10_000:
                return str(number)
            return format_compact_decimal(number, locale=locale, fraction_digits=1)

        return {
            **jinja_context(catalogs.get(locale)),
            "locale": locale,
            "html_lang": html_lang(locale),
            "host": settings,
            "app_name": settings.display_name(locale),
            "tagline": settings.tagline(locale),
            "localized": localized,
            "count": count,
            "language_links": _language_links(request, locale),
            "signed_in": get_signin(request),
        }

    return Jinja2Templates(env=env, context_processors=[page_context])


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    frame_src: str | None = None,
) -> HTMLResponse:
    """A page with the host's security headers; ``frame_src`` allows one origin in frames."""
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    settings: HostSettings = request.app.state.runtime.settings
    csp = PAGE_CSP.format(forms=settings.platform_url)
    if frame_src:
        csp += f"; frame-src {frame_src}"
    response.headers["Content-Security-Policy"] = csp
    return response


def render_notice(
    request: Request,
    *,
    title: str,
    message: str,
    status_code: int,
    back: str = "/",
    message_vars: dict[str, str] | None = None,
) -> HTMLResponse:
    """A translated notice page; ``title``/``message`` are msgids marked with ``N_``."""
    return render(
        request,
        "notice.html",
        {"title": title, "message": message, "message_vars": message_vars or {}, "back": back},
        status_code=status_code,
    )


async def _csrf_failed(request: Request, exc: Exception) -> HTMLResponse:
    return render_notice(
        request,
        title=N_("This form has expired"),
        message=N_(
            "For your safety the request was not carried out: it did not come from a page "
            "of this app opened in this browser. Go back, reload the page and try again."
        ),
        status_code=403,
    )


async def _form_refused(request: Request, exc: Exception) -> HTMLResponse:
    status_code = exc.status_code if isinstance(exc, FormError) else 400
    message = exc.message if isinstance(exc, FormError) else N_("The form could not be read.")
    return render_notice(
        request, title=N_("The form could not be used"), message=message, status_code=status_code
    )


def install_page_errors(app: FastAPI) -> None:
    app.add_exception_handler(CsrfError, _csrf_failed)
    app.add_exception_handler(FormError, _form_refused)
