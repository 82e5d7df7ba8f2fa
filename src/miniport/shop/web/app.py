"""The shop's ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from miniport.common.control_characters import ControlCharacterGuard, page_refusal
from miniport.common.i18n import N_, LocaleMiddleware
from miniport.common.openapi import allow_header, install_finished_schema
from miniport.shop.orders.reporting import OrderReportWorker
from miniport.shop.runtime import PlatformClient, ShopRuntime
from miniport.shop.settings import ShopSettings
from miniport.shop.staff import SigninThrottle
from miniport.shop.web import openapi_docs
from miniport.shop.web.deps import NotInSession, StaffOnly
from miniport.shop.web.framing import FrameAncestorsMiddleware, FramedCsrfCookieMiddleware
from miniport.shop.web.routes import artwork, boutiques, cart, entry, orders, staff, store
from miniport.shop.web.templating import (
    WEB_DIR,
    build_templates,
    install_page_errors,
    render_notice,
)


async def _needs_entry(request: Request, exc: Exception) -> Response:
    return render_notice(
        request,
        title=N_("Open the store from the app"),
        message=N_(
            "Your bag and orders belong to your account. Open this store as a mini program "
            "from the app you use, and you will be signed in."
        ),
        status_code=401,
        testid="needs-entry",
    )


async def _staff_only(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/staff/signin", status_code=303)


async def _not_found(request: Request, exc: Exception) -> Response:
    status_code = exc.status_code if isinstance(exc, StarletteHTTPException) else 404
    response = render_notice(
        request,
        title=N_("Not found"),
        message=N_("This piece or page is not in the store."),
        status_code=404 if status_code == 422 else status_code,
    )
    if status_code == 405:
        # RFC 9110 §15.5.6: a 405 names the methods the page does serve.
        response.headers["Allow"] = allow_header(request.app.routes, request.scope)
    return response


def create_app(
    settings: ShopSettings,
    *,
    runtime: ShopRuntime | None = None,
    platform: PlatformClient | None = None,
) -> FastAPI:
    """Build one store; the runtime (database, keys, platform client) is made here unless
    given. ``platform`` replaces the SDK client."""
    runtime = runtime or ShopRuntime.build(settings, platform=platform)

    order_reports = OrderReportWorker(
        runtime.sessions, runtime.platform, interval=settings.order_report_seconds
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        order_reports.start()
        order_reports.kick()  # orders paid while the store was down
        yield
        order_reports.stop()
        runtime.close()

    app = FastAPI(
        title=f"miniport shop ({settings.slug})",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # The pages are for people; the document describes the entry and the forms.
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    app.state.order_reports = order_reports
    app.state.templates = build_templates(settings)
    app.state.staff_throttle = SigninThrottle()
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    install_page_errors(app)
    app.add_exception_handler(NotInSession, _needs_entry)
    app.add_exception_handler(StaffOnly, _staff_only)
    # A path parameter that is not a number is a page that does not exist, not a JSON 422.
    app.add_exception_handler(RequestValidationError, _not_found)
    app.add_exception_handler(StarletteHTTPException, _not_found)
    # Innermost, so a refused address still gets a page in the reader's language.
    app.add_middleware(ControlCharacterGuard, refuse=page_refusal(render_notice))
    app.add_middleware(
        FramedCsrfCookieMiddleware,
        key=runtime.cookie_key,
        secure=settings.secure_cookies,
        # The customer's session and the staff's: each form is good only for both as sent.
        session_cookies=[settings.session_cookie, settings.staff_cookie],
    )
    app.add_middleware(LocaleMiddleware, secure=settings.secure_cookies)
    # Outermost: every response, whatever produced it, says who may frame it.
    app.add_middleware(FrameAncestorsMiddleware, origins=settings.frame_ancestors)
    for module in (entry, store, cart, orders, boutiques, staff, artwork):
        app.include_router(module.router)
    install_finished_schema(app, security_schemes=openapi_docs.security_schemes(settings))
    return app
