"""Jinja2 pages in the reader's language, and error pages for forms that cannot be used.

Every service renders its pages through ``build_templates``; every template then gets,
besides what its service and its route pass: ``locale``, ``html_lang``, ``gettext`` /
``ngettext`` (what ``{% trans %}`` and ``_()`` call, bound to the request's catalog),
``localized(obj, "name")`` (picks ``name_zh`` or ``name_en``), ``language_links`` and the
global ``csrf_input(request)``. A service's own names come from its ``ServiceContext``.

``install_page_errors`` shows a failed CSRF check and a ``FormError`` as the service's
translated error page; its ``title`` and ``message`` are msgids marked with ``N_``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from miniport.common.csrf import CsrfError, csrf_input
from miniport.common.forms import FormError
from miniport.common.i18n import (
    LOCALE_QUERY,
    LOCALES,
    N_,
    Catalogs,
    html_lang,
    jinja_context,
    request_locale,
)

# The language switch shows each language in its own name, as readers look for it.
LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}

ServiceContext = Callable[[Request, str], dict[str, Any]]
"""What a service adds to every page's context, given the request and its locale."""


class ErrorPage(Protocol):
    """A service's translated error page; ``title`` and ``message`` are msgids."""

    def __call__(
        self, request: Request, *, title: str, message: str, status_code: int
    ) -> HTMLResponse: ...


def language_links(request: Request, current: str) -> list[dict[str, Any]]:
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


def build_templates(
    *,
    template_dir: Path,
    catalogs: Catalogs,
    service_context: ServiceContext,
    template_globals: Mapping[str, Any] | None = None,
) -> Jinja2Templates:
    """The templates in ``template_dir``, translated per request from ``catalogs``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_dir),
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
    env.globals.update(template_globals or {})

    def page_context(request: Request) -> dict[str, Any]:
        locale = request_locale(request)
        chinese = locale.startswith("zh")

        def localized(obj: object, field: str) -> str:
            value = getattr(obj, f"{field}_zh" if chinese else f"{field}_en", "")
            return str(value or getattr(obj, f"{field}_zh", "") or "")

        return {
            **jinja_context(catalogs.get(locale)),
            "locale": locale,
            "html_lang": html_lang(locale),
            "localized": localized,
            "language_links": language_links(request, locale),
            **service_context(request, locale),
        }

    return Jinja2Templates(env=env, context_processors=[page_context])


def render_page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int,
    headers: Mapping[str, str],
) -> HTMLResponse:
    """``name`` rendered with the app's templates (``app.state.templates``) and ``headers``."""
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(headers)
    return response


def install_page_errors(app: Starlette, *, error_page: ErrorPage, csrf_message: str) -> None:
    """Map the form-level errors of browser pages to translated error pages.

    ``csrf_message`` (a msgid) tells the reader why a form from elsewhere was refused, in
    the service's own words ("this site", "this store").
    """

    async def csrf_failed(request: Request, exc: Exception) -> HTMLResponse:
        return error_page(
            request, title=N_("This form has expired"), message=csrf_message, status_code=403
        )

    async def form_refused(request: Request, exc: Exception) -> HTMLResponse:
        status_code = exc.status_code if isinstance(exc, FormError) else 400
        message = exc.message if isinstance(exc, FormError) else N_("The form could not be read.")
        return error_page(
            request,
            title=N_("The form could not be used"),
            message=message,
            status_code=status_code,
        )

    app.add_exception_handler(CsrfError, csrf_failed)
    app.add_exception_handler(FormError, form_refused)
