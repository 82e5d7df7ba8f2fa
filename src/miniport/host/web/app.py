"""The host app's ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from miniport.common.control_characters import ControlCharacterGuard, page_refusal
from miniport.common.csrf import CsrfCookieMiddleware
from miniport.common.i18n import N_, LocaleMiddleware
from miniport.common.openapi import allow_header, install_finished_schema
from miniport.host.platform_api import PlatformClient
from miniport.host.runtime import HostRuntime
from miniport.host.settings import HostSettings
from miniport.host.web import openapi_docs
from miniport.host.web.deps import SESSION_COOKIE
from miniport.host.web.routes import accounts, artwork, miniprogram, pages, webhooks
from miniport.host.web.templating import (
    WEB_DIR,
    build_templates,
    install_page_errors,
    render_notice,
)


async def _not_found(request: Request, exc: Exception) -> Response:
    """Unknown addresses, path parameters that are not what the route takes (a note number
    that is not a number), and methods a page does not serve: a page, like every answer."""
    status_code = exc.status_code if isinstance(exc, StarletteHTTPException) else 404
    response = render_notice(
        request,
        title=N_("Page not found"),
        message=N_("There is nothing at this address."),
        status_code=status_code,
    )
    if status_code == 405:
        # RFC 9110 §15.5.6: a 405 names the methods the page does serve.
        response.headers["Allow"] = allow_header(request.app.routes, request.scope)
    return response


def create_app(
    settings: HostSettings,
    *,
    runtime: HostRuntime | None = None,
    platform: PlatformClient | None = None,
) -> FastAPI:
    """Build one host app instance; the runtime (database, keys, platform client) is made
    here unless given. ``platform`` replaces the SDK client (tests)."""
    runtime = runtime or HostRuntime.build(settings, platform=platform)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.close()

    app = FastAPI(
        title=f"miniport host ({settings.slug})",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # What a client sends the host: pages with input, forms, hand-off, webhooks.
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    app.state.templates = build_templates(settings)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    install_page_errors(app)
    app.add_exception_handler(RequestValidationError, _not_found)
    app.add_exception_handler(StarletteHTTPException, _not_found)
    # Innermost, so a refused address still gets a page in the reader's language.
    app.add_middleware(ControlCharacterGuard, refuse=page_refusal(render_notice))
    app.add_middleware(
        CsrfCookieMiddleware,
        key=runtime.cookie_key,
        secure=settings.secure_cookies,
        session_cookies=[SESSION_COOKIE],
    )
    app.add_middleware(LocaleMiddleware, secure=settings.secure_cookies)
    for module in (pages, accounts, miniprogram, webhooks, artwork):
        app.include_router(module.router)
    install_finished_schema(app, security_schemes=openapi_docs.SECURITY_SCHEMES)
    return app
