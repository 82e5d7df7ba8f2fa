"""The host app's ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from miniport.common.control_characters import ControlCharacterGuard, page_refusal
from miniport.common.csrf import CsrfCookieMiddleware
from miniport.common.i18n import LocaleMiddleware
from miniport.common.openapi import install_finished_schema
from miniport.host.platform_api import PlatformClient
from miniport.host.runtime import HostRuntime
from miniport.host.settings import HostSettings
from miniport.host.web.deps import SESSION_COOKIE
from miniport.host.web.routes import accounts, artwork, miniprogram, pages, webhooks
from miniport.host.web.templating import (
    WEB_DIR,
    build_templates,
    install_page_errors,
    render_notice,
)


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
        # The pages are for people; the document describes the webhook receiver.
        openapi_url="/openapi.json",
    )
    install_finished_schema(app)
    app.state.runtime = runtime
    app.state.templates = build_templates(settings)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    install_page_errors(app)
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
    return app
