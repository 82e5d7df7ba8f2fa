"""Tapping a mini-program entry: ``/mp/open`` → platform consent → ``/auth/callback`` →
``/mp/run`` (the container).

- ``/mp/open`` checks that a card on this host really offers that mini program to this user
  right now, then goes straight to the container when a run ticket is stored (an expired
  one is renewed with its refresh token first), or to the platform's authorize endpoint.
- ``/auth/callback`` takes the pending authorization by its state (single use, same host
  user), exchanges the code on the server and stores the run ticket; tokens never reach the
  browser.
- ``/mp/run`` launches with the stored ticket and renders the container. Each load asks for
  a fresh launch code (they are single use), so reloading the container works.
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from miniport.common.clock import utcnow
from miniport.common.i18n import N_, request_locale
from miniport.host.accounts.sessions import SignedIn
from miniport.host.brand_accounts import list_accounts
from miniport.host.container import (
    ContainerError,
    OpenRequest,
    finish_authorization,
    forget_ticket,
    launch,
    live_ticket,
    safe_return,
    start_authorization,
    store_tokens,
    stored_refresh_token,
    take_pending,
)
from miniport.host.container.flow import MAX_APPID, MAX_PATH, MAX_QUERY, QUERY_CHARACTERS
from miniport.host.mini_program_cards.cards import DEFAULT_PATH
from miniport.host.runtime import HostRuntime
from miniport.host.web import openapi_docs
from miniport.host.web.deps import DbSession, OptionalSignIn, ReadDbSession, RuntimeDep
from miniport.host.web.routes.accounts import see_other, signin_url
from miniport.host.web.routes.cards import LinkedAccount, account_linking
from miniport.host.web.templating import render, render_notice
from miniport.sdk.errors import (
    AccessDenied,
    AuthorizationResponseError,
    InvalidCredential,
    InvalidPagePath,
    MiniportError,
    OAuthError,
    PortClosed,
)

log = logging.getLogger(__name__)
router = APIRouter()

# Why the platform refuses, in words a user understands (reason codes of the port check).
CLOSED_REASONS: dict[str, str] = {
    "port_closed": N_("The platform has closed this mini program’s access to this app."),
    "host_suspended": N_("The platform has suspended this app’s access to mini programs."),
    "port_expired": N_("The trial of this mini program in this app has ended."),
    "trial_ended": N_("The trial of this mini program in this app has ended."),
    "not_in_rollout": N_("This mini program is not yet available to your account here."),
    "no_port": N_("This mini program is not available in this app."),
    "port_requested": N_("This mini program is not available in this app yet."),
    "port_rejected": N_("This mini program is not available in this app."),
    "port_withdrawn": N_("This mini program is no longer offered in this app."),
    "invalid_url_link": N_("The link to this mini program is no longer valid."),
}
UNKNOWN_REASON = N_("The platform does not allow opening this mini program here right now.")


def _open_request(request: Request) -> OpenRequest | None:
    params = request.query_params
    appid = params.get("appid") or ""
    path = params.get("path") or DEFAULT_PATH
    query = params.get("query") or ""
    if not appid or len(appid) > MAX_APPID or not appid.isascii() or not appid.isalnum():
        return None
    if not path.startswith("/") or len(path) > MAX_PATH or len(query) > MAX_QUERY:
        return None
    if not QUERY_CHARACTERS.fullmatch(path.partition("?")[2] + query):
        return None
    return OpenRequest(
        appid=appid, path=path, query=query, return_to=safe_return(params.get("return"))
    )


def _url(route: str, open_request: OpenRequest, **extra: str) -> str:
    params = {
        "appid": open_request.appid,
        "path": open_request.path,
        "query": open_request.query,
        "return": open_request.return_to,
        **extra,
    }
    return route + "?" + urlencode({key: value for key, value in params.items() if value})


def _bad_request(request: Request, *, status_code: int = 400) -> Response:
    return render_notice(
        request,
        title=N_("This link cannot be opened"),
        message=N_("The mini-program link is incomplete or malformed."),
        status_code=status_code,
    )


def _closed(
    request: Request, reason: str | None, linked: LinkedAccount | None, back: str
) -> Response:
    return render(
        request,
        "notice.html",
        {
            "title": N_("This mini program cannot be opened"),
            "message": CLOSED_REASONS.get(reason or "", UNKNOWN_REASON),
            "message_vars": {},
            "reason_code": reason or "",
            "account": linked.account if linked else None,
            "back": back,
        },
        status_code=403,
    )


def _failed(request: Request, back: str, *, status_code: int = 502) -> Response:
    return render_notice(
        request,
        title=N_("The mini program could not be opened"),
        message=N_("The platform could not be reached or did not answer as expected. Try again."),
        status_code=status_code,
        back=back,
    )


def _linked(
    runtime: HostRuntime, read: ReadDbSession, signin: SignedIn, appid: str
) -> LinkedAccount | None:
    """The card offering ``appid``; reads through a read-only session, so no SQLite write
    lock is held while the platform is asked (a network call)."""
    linked = account_linking(
        runtime, read, user_id=signin.user_id, appid=appid, accounts=list_accounts(read)
    )
    read.rollback()
    return linked


@router.get(
    "/mp/open", status_code=303, response_class=RedirectResponse, openapi_extra=openapi_docs.OPEN
)
def open_mini_program(
    request: Request,
    db: DbSession,
    read: ReadDbSession,
    runtime: RuntimeDep,
    signin: OptionalSignIn,
) -> Response:
    open_request = _open_request(request)
    if open_request is None:
        return _bad_request(request)
    if signin is None:
        return see_other(signin_url(_url("/mp/open", open_request)))
    linked = _linked(runtime, read, signin, open_request.appid)
    if linked is not None and linked.result is None:
        return _failed(request, open_request.return_to)  # the check itself failed
    # Only what a card of ours offers: a crafted link must not use this app's name to ask
    # for consent to some other mini program.
    if linked is None or linked.entry is None:
        reason = linked.result.reason if linked and linked.result else None
        return _closed(request, reason, linked, open_request.return_to)
    now = utcnow()
    if live_ticket(read, runtime.sealer, user_id=signin.user_id, appid=open_request.appid, now=now):
        return see_other(_url("/mp/run", open_request))
    if _refreshed(db, read, runtime, signin, open_request.appid):
        return see_other(_url("/mp/run", open_request))
    try:
        url = start_authorization(
            db,
            runtime.platform,
            runtime.sealer,
            user_id=signin.user_id,
            request=open_request,
            redirect_uri=runtime.settings.redirect_uri,
            now=now,
            lifetime=dt.timedelta(minutes=runtime.settings.authorization_minutes),
        )
    except MiniportError as error:
        log.warning("could not start an authorization: %s", error)
        return _failed(request, open_request.return_to)
    db.commit()
    return see_other(url)


def _refreshed(
    db: DbSession, read: ReadDbSession, runtime: HostRuntime, signin: SignedIn, appid: str
) -> bool:
    """Renew an expired run ticket with its refresh token: no trip through the browser.

    Refresh tokens rotate, so the new pair replaces the old one; a refused refresh (grant
    revoked, token expired) drops the ticket and the caller authorizes afresh.
    """
    refresh_token = stored_refresh_token(read, runtime.sealer, user_id=signin.user_id, appid=appid)
    read.rollback()
    if refresh_token is None:
        return False
    try:
        tokens = runtime.platform.refresh(refresh_token)
    except OAuthError:
        forget_ticket(db, user_id=signin.user_id, appid=appid)
        db.commit()
        return False
    except MiniportError as error:
        log.warning("could not refresh a run ticket: %r", error)
        return False
    store_tokens(
        db, runtime.sealer, user_id=signin.user_id, appid=appid, tokens=tokens, now=utcnow()
    )
    db.commit()
    return True


@router.get(
    "/auth/callback",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.CALLBACK,
)
def callback(
    request: Request,
    db: DbSession,
    read: ReadDbSession,
    runtime: RuntimeDep,
    signin: OptionalSignIn,
) -> Response:
    if signin is None:
        # Signed out in another tab meanwhile; the pending authorization belongs to a user.
        return see_other(signin_url("/"))
    params = dict(request.query_params)
    now = utcnow()
    try:
        pending = take_pending(
            db, runtime.sealer, state=params.get("state"), user_id=signin.user_id, now=now
        )
    except ContainerError as error:
        db.commit()  # the row is gone either way: a state is never good twice
        return _expired(request, error)
    db.commit()
    open_request = pending.request
    try:
        finish_authorization(
            db,
            runtime.platform,
            runtime.sealer,
            pending=pending,
            user_id=signin.user_id,
            params=params,
            redirect_uri=runtime.settings.redirect_uri,
            now=now,
        )
    except AccessDenied:
        db.rollback()
        return _refused(request, read, runtime, signin, open_request)
    except (OAuthError, AuthorizationResponseError) as error:
        # The redirect carried an error, or the platform refused its code (used, expired,
        # not this request's): the answer to this request, not a failure of the platform.
        db.rollback()
        log.info("the authorization response was refused: %r", error)
        return _failed(request, open_request.return_to, status_code=403)
    except MiniportError as error:
        db.rollback()
        log.warning("could not finish the authorization: %r", error)
        return _failed(request, open_request.return_to)
    db.commit()
    return see_other(_url("/mp/run", open_request, fresh="1"))


def _expired(request: Request, error: ContainerError) -> Response:
    log.info("callback without a usable pending authorization: %s", error)
    return render_notice(
        request,
        title=N_("This sign-in link has expired"),
        message=N_(
            "It was already used, is too old, or was started in another account. Tap the "
            "mini program again to start over."
        ),
        status_code=400,
    )


def _refused(
    request: Request,
    read: ReadDbSession,
    runtime: RuntimeDep,
    signin: SignedIn,
    open_request: OpenRequest,
) -> Response:
    """The platform answered access_denied: the user declined, or the port is shut."""
    # The platform also answers access_denied when the port closed during the consent:
    # a fresh check (cache cleared) tells the two apart.
    runtime.cards.cache.clear()
    linked = _linked(runtime, read, signin, open_request.appid)
    if linked is None or linked.entry is None:
        reason = linked.result.reason if linked and linked.result else None
        return _closed(request, reason, linked, open_request.return_to)
    return render(
        request,
        "notice.html",
        {
            "title": N_("The mini program was not opened"),
            "message": N_(
                "You did not allow %(app)s to run this mini program with your platform "
                "identity. Nothing was shared."
            ),
            "message_vars": {"app": runtime.settings.display_name(request_locale(request))},
            "account": linked.account,
            "back": open_request.return_to,
        },
        status_code=403,
    )


@router.get("/mp/run", response_class=HTMLResponse, openapi_extra=openapi_docs.RUN)
def run_mini_program(
    request: Request,
    db: DbSession,
    read: ReadDbSession,
    runtime: RuntimeDep,
    signin: OptionalSignIn,
) -> Response:
    open_request = _open_request(request)
    if open_request is None:
        return _bad_request(request)
    if signin is None:
        return see_other(signin_url(_url("/mp/open", open_request)))
    # Set by the callback: the ticket was issued a moment ago, so a refusal is not a stale
    # ticket, and going round to authorize again would loop.
    fresh = request.query_params.get("fresh") == "1"
    ticket = live_ticket(
        read, runtime.sealer, user_id=signin.user_id, appid=open_request.appid, now=utcnow()
    )
    read.rollback()
    if ticket is None:
        return (
            _failed(request, open_request.return_to)
            if fresh
            else see_other(_url("/mp/open", open_request))
        )
    try:
        started = launch(
            runtime.platform,
            ticket=ticket,
            request=open_request,
            user_key=runtime.user_key(signin.user_id),
        )
    except PortClosed as closed:
        linked = _linked(runtime, read, signin, open_request.appid)
        return _closed(request, closed.reason, linked, open_request.return_to)
    except InvalidCredential:
        # Revoked or expired on the platform's side (a revoked grant, a closed port): forget
        # it, and authorize again; the platform skips consent when the grant is remembered.
        forget_ticket(db, user_id=signin.user_id, appid=open_request.appid)
        db.commit()
        if fresh:
            return _failed(request, open_request.return_to)
        return see_other(_url("/mp/open", open_request))
    except InvalidPagePath:
        # Not a page of this mini program (the platform knows its pages; the link did not).
        return _bad_request(request, status_code=404)
    except MiniportError as error:
        log.warning("launch failed: %r", error)
        return _failed(request, open_request.return_to)
    linked = _linked(runtime, read, signin, open_request.appid)
    target = urlsplit(started.launch_url)
    return render(
        request,
        "container.html",
        {
            "launch_url": started.launch_url,
            "entry": linked.entry if linked else None,
            "account": linked.account if linked else None,
            "back": open_request.return_to,
            "reload": _url("/mp/run", open_request),
        },
        frame_src=f"{target.scheme}://{target.netloc}",
    )
