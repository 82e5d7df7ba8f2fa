"""``GET /mp/entry`` — the mini program's launch URL: a platform launch code starts a session.

Refusals are pages a customer can act on: a spent or expired code asks them to reopen the
mini program from their app; a closed port says the store is no longer available in that
app, and why.
"""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from miniport.common.clock import utcnow
from miniport.common.i18n import N_
from miniport.sdk.errors import BlockedUser, InvalidCode, MiniportError, PortClosed, RateLimited
from miniport.shop.sessions.entry import EntryRequest, MalformedEntry, enter
from miniport.shop.web import openapi_docs
from miniport.shop.web.deps import RuntimeDep
from miniport.shop.web.framing import delete_session_cookie, set_session_cookie
from miniport.shop.web.templating import render_notice

log = logging.getLogger(__name__)
router = APIRouter()

# The platform's port decision reasons (89300 "port closed: <reason>"), as a customer reads them.
CLOSED_REASONS: dict[str, str] = {
    "port_closed": N_("The platform has closed this app's access to the mini program."),
    "host_suspended": N_("The platform has suspended mini programs in this app."),
    "trial_ended": N_("The trial that let this app open the mini program has ended."),
    "not_in_rollout": N_("The mini program is not yet available to everyone in this app."),
    "no_port": N_("This app has no access to the mini program."),
    "port_expired": N_("This app's access to the mini program has expired."),
    "port_withdrawn": N_("This app has withdrawn its access to the mini program."),
    "port_rejected": N_("This app's request to open the mini program was declined."),
    "port_requested": N_("This app's access to the mini program is still under review."),
}


def _expired(request: Request) -> Response:
    return render_notice(
        request,
        title=N_("This link has expired"),
        message=N_(
            "Entry links work once and only for a few minutes. Reopen the mini program "
            "from the app to continue shopping."
        ),
        status_code=400,
        testid="entry-expired",
    )


def _closed(request: Request, reason: str) -> Response:
    return render_notice(
        request,
        title=N_("This mini program is no longer available in this app"),
        message=CLOSED_REASONS.get(reason, N_("The platform no longer lets this app open it.")),
        detail=reason or None,
        status_code=403,
        testid="entry-closed",
    )


def _refused(request: Request, error: Exception) -> Response:
    """The page for each way the platform (or the URL) can refuse an entry."""
    if isinstance(error, MalformedEntry | InvalidCode):
        return _expired(request)
    if isinstance(error, PortClosed):
        return _closed(request, error.reason)
    if isinstance(error, BlockedUser):
        return render_notice(
            request,
            title=N_("Shopping is not available for this account"),
            message=N_("The platform has restricted this account. Please contact its support."),
            status_code=403,
            testid="entry-blocked",
        )
    if isinstance(error, RateLimited):
        return render_notice(
            request,
            title=N_("Too many attempts"),
            message=N_("Please wait a minute, then reopen the mini program from the app."),
            status_code=429,
            testid="entry-busy",
        )
    log.warning("jscode2session failed: %r", error)
    return render_notice(
        request,
        title=N_("The store cannot sign you in right now"),
        message=N_("Please try again in a moment by reopening the mini program."),
        status_code=503,
        testid="entry-unavailable",
    )


@router.get(
    "/mp/entry",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.ENTRY,
)
def entry(request: Request, runtime: RuntimeDep) -> Response:
    settings = runtime.settings
    try:
        asked = EntryRequest.parse(request.query_params)
        entered = enter(
            runtime.sessions,
            runtime.read_sessions,
            runtime.platform,
            asked,
            cookie_value=request.cookies.get(settings.session_cookie),
            guide_code=request.cookies.get(settings.guide_cookie),
            now=utcnow(),
            lifetime=dt.timedelta(hours=settings.session_hours),
        )
    except (MalformedEntry, MiniportError) as error:
        return _refused(request, error)
    response = RedirectResponse(entered.target, status_code=303)
    if entered.cookie_value is not None:
        set_session_cookie(
            response,
            name=settings.session_cookie,
            value=entered.cookie_value,
            max_age=settings.session_hours * 3600,
            secure=settings.secure_cookies,
        )
        # The guide link waiting for a session has been credited now.
        delete_session_cookie(response, name=settings.guide_cookie, secure=settings.secure_cookies)
    return response
