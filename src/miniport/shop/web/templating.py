"""Jinja2 templates for the store's pages: locale, CSRF field, branding, framing policy.

Every template gets what ``miniport.common.templating`` gives every page (``locale``,
``html_lang``, ``gettext``/``ngettext``, ``localized(obj, "name")``, ``language_links``,
``csrf_input(request)``) and, from the store: ``store`` (the settings, for names and
colours), ``store_name`` and ``brand_name`` in the page's language, ``yuan(cents)``,
``local_time(dt)`` (China time), ``source_label(scene, host)``, ``shopper`` (the current
shop session or ``None``) and ``cart_count``.
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
from miniport.common.clock import utcnow
from miniport.common.i18n import N_, Catalogs
from miniport.shop.boutiques.boutiques import CHINA_TIME
from miniport.shop.cart.cart import view as cart_view
from miniport.shop.catalog.money import yuan
from miniport.shop.runtime import ShopRuntime
from miniport.shop.sessions.sessions import CurrentSession, current_session
from miniport.shop.settings import ShopSettings
from miniport.shop.web.framing import page_policy

WEB_DIR = Path(__file__).parent
TEMPLATE_DIR = WEB_DIR / "templates"
LOCALE_DIR = WEB_DIR / "locales"
_UNREAD = object()

# Pages carry CSRF tokens and the customer's orders: never cached, never sending full URLs
# (with order numbers) to anyone else.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

# Why a form that did not come from this store's own page was refused.
CSRF_REFUSED = N_(
    "For your safety the request was not carried out: it did not come from a page "
    "of this store opened in this browser. Go back, reload the page and try again."
)

# The platform's scene values (where the user opened the mini program from).
SCENES: dict[int, str] = {
    1036: N_("app share card"),
    1037: N_("another mini program"),
    1038: N_("returned from another mini program"),
    1065: N_("URL scheme"),
    1069: N_("opened from an app"),
    1167: N_("URL link inside the platform"),
    1194: N_("URL link outside the platform"),
}


def shopper_of(request: Request) -> CurrentSession | None:
    """The browser's live shop session, read once per request and kept on it."""
    known = getattr(request.state, "shopper", _UNREAD)
    if known is not _UNREAD:
        return known if isinstance(known, CurrentSession) else None
    runtime: ShopRuntime = request.app.state.runtime
    cookie = request.cookies.get(runtime.settings.session_cookie)
    shopper = None
    if cookie:
        with runtime.read_sessions() as session:
            shopper = current_session(session, cookie, utcnow())
    request.state.shopper = shopper
    return shopper


def build_templates(settings: ShopSettings) -> Jinja2Templates:
    catalogs = Catalogs.load(LOCALE_DIR)

    def store_context(request: Request, locale: str) -> dict[str, Any]:
        translations = catalogs.get(locale)

        def local_time(value: dt.datetime, pattern: str = "yyyy-MM-dd HH:mm") -> str:
            return format_datetime(value, pattern, tzinfo=CHINA_TIME, locale=locale)

        def source_label(scene: int | None, host: str | None) -> str:
            parts = []
            if host:
                parts.append(settings.host_name(host) or host)
            if scene is not None:
                described = SCENES.get(scene)
                if described:
                    parts.append(
                        translations.gettext("Scene %(scene)s (%(source)s)")
                        % {"scene": scene, "source": translations.gettext(described)}
                    )
                else:
                    parts.append(translations.gettext("Scene %(scene)s") % {"scene": scene})
            return " · ".join(parts) if parts else translations.gettext("Opened directly")

        shopper = shopper_of(request)
        cart_count = 0
        if shopper is not None:
            runtime: ShopRuntime = request.app.state.runtime
            with runtime.read_sessions() as session:
                cart_count = cart_view(session, customer_id=shopper.customer_id).count
        return {
            "store": settings,
            "store_name": settings.display_name(locale),
            "brand_name": settings.brand_name(locale),
            "local_time": local_time,
            "source_label": source_label,
            "shopper": shopper,
            "cart_count": cart_count,
        }

    return templating.build_templates(
        template_dir=TEMPLATE_DIR,
        catalogs=catalogs,
        service_context=store_context,
        template_globals={"yuan": yuan},
    )


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """A page with the store's security headers, framable by the registered hosts only."""
    settings: ShopSettings = request.app.state.runtime.settings
    return templating.render_page(
        request,
        name,
        context,
        status_code=status_code,
        headers={**PAGE_HEADERS, "Content-Security-Policy": page_policy(settings.frame_ancestors)},
    )


def render_notice(
    request: Request,
    *,
    title: str,
    message: str,
    status_code: int,
    message_vars: dict[str, str] | None = None,
    detail: str | None = None,
    testid: str = "notice",
) -> HTMLResponse:
    """A translated notice page; ``title``/``message`` are msgids marked with ``N_``."""
    return render(
        request,
        "notice.html",
        {
            "title": title,
            "message": message,
            "message_vars": message_vars or {},
            "detail": detail,
            "testid": testid,
        },
        status_code=status_code,
    )


def install_page_errors(app: FastAPI) -> None:
    templating.install_page_errors(app, error_page=render_notice, csrf_message=CSRF_REFUSED)
