"""The platform's ASGI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from miniport.common.control_characters import ControlCharacterGuard
from miniport.common.csrf import CsrfCookieMiddleware
from miniport.common.i18n import LocaleMiddleware
from miniport.common.openapi import install_finished_schema
from miniport.platform.ports.jobs import TrialExpiryJob
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.web import errors, mp_errors, port_errors
from miniport.platform.web.control_characters import refuse_control_characters
from miniport.platform.web.deps import SESSION_COOKIE
from miniport.platform.web.fastpath import PlatformApp
from miniport.platform.web.routes import (
    accounts,
    console_app,
    miniprogram,
    oauth,
    oauth_hot,
    ports_api,
)
from miniport.platform.web.templating import build_templates, install_page_errors
from miniport.platform.webhooks.delivery import WebhookWorker

WEB_DIR = Path(__file__).parent


def create_app(settings: PlatformSettings, runtime: PlatformRuntime | None = None) -> PlatformApp:
    """Build the platform app; the runtime (database, keys) is made here unless given."""
    runtime = runtime or PlatformRuntime.build(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        webhooks = WebhookWorker(
            runtime.sessions,
            cipher=runtime.cipher,
            poll_seconds=runtime.settings.webhook_poll_seconds,
        )
        if runtime.settings.webhook_delivery_enabled:
            webhooks.start()
        trial_expiry = TrialExpiryJob(
            runtime.sessions, runtime.read_sessions, interval=runtime.settings.trial_expiry_interval
        )
        trial_expiry.start()
        runtime.checkpoints.start()
        yield
        await asyncio.to_thread(runtime.checkpoints.stop)
        await asyncio.to_thread(trial_expiry.stop)
        await asyncio.to_thread(webhooks.stop)  # waits for sends in flight, off the loop
        runtime.close()

    app = PlatformApp(
        title="miniport platform",
        version="0.1.0",
        description="OpenID Connect provider, mini-program API and port governance.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.templates = build_templates(runtime)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    errors.install(app)
    mp_errors.install(app)
    port_errors.install(app)
    install_page_errors(app)
    # Innermost, so a refused address still gets a page in the reader's language.
    app.add_middleware(ControlCharacterGuard, refuse=refuse_control_characters)
    app.add_middleware(
        CsrfCookieMiddleware,
        key=runtime.cookie_key,
        secure=settings.secure_cookies,
        session_cookies=[SESSION_COOKIE],
    )
    app.add_middleware(LocaleMiddleware, secure=settings.secure_cookies)
    app.include_router(oauth.router)
    app.include_router(accounts.router)
    # The hot endpoints of each family go on the app's lean path, in front of all of the
    # above (``web.fastpath``); the rest of each family is ordinary FastAPI routes.
    app.state.hot_paths = oauth_hot.install(app, runtime)
    app.state.mp_hot_paths = miniprogram.install(app, runtime)
    ports_api.install(app, runtime)
    console_app.install(app)
    install_finished_schema(app)
    return app
