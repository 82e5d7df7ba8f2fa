"""The platform's ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.web import errors
from miniport.platform.web.routes import accounts, oauth
from miniport.platform.web.templating import build_templates

WEB_DIR = Path(__file__).parent


def create_app(settings: PlatformSettings, runtime: PlatformRuntime | None = None) -> FastAPI:
    """Build the platform app; the runtime (database, keys) is made here unless given."""
    runtime = runtime or PlatformRuntime.build(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        runtime.close()

    app = FastAPI(
        title="miniport platform",
        version="0.1.0",
        description="OpenID Connect provider, mini-program API and port governance.",
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.templates = build_templates(runtime)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    errors.install(app)
    app.include_router(oauth.router)
    app.include_router(accounts.router)
    return app
