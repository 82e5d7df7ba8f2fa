"""Jinja2 templates for the store's pages: locale, CSRF field, branding, framing policy.

Every template gets, besides what its route passes: ``locale``, ``html_lang``, ``store`` (the
settings, for names and colours), ``store_name`` and ``brand_name`` in the page's language,
``gettext``/``ngettext``, ``localized(obj, "name")`` (``name_zh`` or ``name_en``),
``yuan(cents)``, ``local_time(dt)`` (China time), ``source_label(scene, host)``,
``language_links``, ``shopper`` (the current shop session or ``None``), ``cart_count``
and the global ``csrf_input(request)``.
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

from miniport.common.clock import utcnow
from miniport.common.csrf import CsrfError, csrf_input
from miniport.common.i18n import LOCALE_QUERY, LOCALES, N_, Catalogs, html_lang, jinja_context
from miniport.common.i18n import request_locale as locale_of
from miniport.shop.boutiques.boutiques import CHINA_TIME
from miniport.shop.cart.cart import view as cart_view
from miniport.shop.catalog.money import yuan
from miniport.shop.runtime import ShopRuntime
from miniport.shop.sessions.sessions import CurrentSession, current_session
from miniport.shop.settings import ShopSettings
from miniport.shop.web.forms import FormError
from miniport.shop.web.framing import page_policy

WEB_DIR = Path(__file__).parent
TEMPLATE_DIR = WEB_DIR / "templates"
LOCALE_DIR = WEB_DIR / "locales"
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}
_UNREAD = object()

# Pages carry CSRF tokens and the customer's orders: never cached, never sending full URLs
# (with order numbers) to anyone else.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}

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
    env.globals["yuan"] = yuan

    def page_context(request: Request) -> dict[str, Any]:
        locale = locale_of(request)
        chinese = locale.startswith("zh")
        translations = catalogs.get(locale)

        def localized(obj: object, field: str) -> str:
            value = getattr(obj, f"{field}_zh" if chinese else f"{field}_en", "")
            return str(value or getattr(obj, f"{field}_zh", "") or "")

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
            **jinja_context(translations),
            "locale": locale,
            "html_lang": html_lang(locale),
            "store": settings,
            "store_name": settings.display_name(locale),
            "brand_name": settings.brand_name(locale),
            "localized": localized,
            "local_time": local_time,
            "source_label": source_label,
            "language_links": _language_links(request, locale),
            "shopper": shopper,
            "cart_count": cart_count,
        }

    return Jinja2Templates(env=env, context_processors=[page_context])


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """A page with the store's security headers, framable by the registered hosts only."""
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    settings: ShopSettings = request.app.state.runtime.settings
    response.headers["Content-Security-Policy"] = page_policy(settings.frame_ancestors)
    return response


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


async def _csrf_failed(request: Request, exc: Exception) -> HTMLResponse:
    return render_notice(
        request,
        title=N_("This form has expired"),
        message=N_(
            "For your safety the request was not carried out: it did not come from a page "
            "of this store opened in this browser. Go back, reload the page and try again."
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
