"""Jinja2 templates for host pages: per-request locale, CSRF field, branding, error pages.

Every template gets what ``miniport.common.templating`` gives every page (``locale``,
``html_lang``, ``gettext``/``ngettext``, ``localized(obj, "name")``, ``language_links``,
``csrf_input(request)``) and, from the host: ``host`` (the settings, for colours and names),
``app_name`` and ``tagline`` in the page's language, ``count(n)`` (a compact follower or
like count) and ``signed_in``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.numbers import format_compact_decimal
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from miniport.common import templating
from miniport.common.i18n import N_, Catalogs
from miniport.host.settings import HostSettings
from miniport.host.web.deps import get_signin

WEB_DIR = Path(__file__).parent
TEMPLATE_DIR = WEB_DIR / "templates"
LOCALE_DIR = WEB_DIR / "locales"

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

# Why a form that did not come from this app's own page was refused.
CSRF_REFUSED = N_(
    "For your safety the request was not carried out: it did not come from a page "
    "of this app opened in this browser. Go back, reload the page and try again."
)


def build_templates(settings: HostSettings) -> Jinja2Templates:
    def host_context(request: Request, locale: str) -> dict[str, Any]:
        def count(number: int) -> str:
            if number < 10_000:
                return str(number)
            return format_compact_decimal(number, locale=locale, fraction_digits=1)

        return {
            "host": settings,
            "app_name": settings.display_name(locale),
            "tagline": settings.tagline(locale),
            "count": count,
            "signed_in": get_signin(request),
        }

    return templating.build_templates(
        template_dir=TEMPLATE_DIR,
        catalogs=Catalogs.load(LOCALE_DIR),
        service_context=host_context,
    )


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    frame_src: str | None = None,
) -> HTMLResponse:
    """A page with the host's security headers; ``frame_src`` allows one origin in frames."""
    settings: HostSettings = request.app.state.runtime.settings
    csp = PAGE_CSP.format(forms=settings.platform_url)
    if frame_src:
        csp += f"; frame-src {frame_src}"
    return templating.render_page(
        request,
        name,
        context,
        status_code=status_code,
        headers={**PAGE_HEADERS, "Content-Security-Policy": csp},
    )


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


def install_page_errors(app: FastAPI) -> None:
    templating.install_page_errors(app, error_page=render_notice, csrf_message=CSRF_REFUSED)
