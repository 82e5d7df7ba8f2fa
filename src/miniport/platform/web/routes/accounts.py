"""Sign-up, sign-in, sign-out and "My authorizations" pages.

Every POST here checks the CSRF token first, reads its form through ``read_form`` (so
malformed input is a readable 4xx page) and commits in one visible place.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from miniport.common.clock import utcnow
from miniport.common.csrf import CSRF_FIELD, verify_csrf
from miniport.common.i18n import N_
from miniport.common.signin_throttle import SigninLimits, SigninThrottle
from miniport.platform.accounts.models import SigninFailureWindow
from miniport.platform.accounts.redirects import DEFAULT_AFTER_SIGNIN, safe_next
from miniport.platform.accounts.sessions import end_session, start_session
from miniport.platform.accounts.users import (
    MAX_PASSWORD_LENGTH,
    AccountError,
    InvalidUsername,
    UsernameTaken,
    WeakPassword,
    authenticate,
    create_user,
)
from miniport.platform.consent.grants import has_active_grant, list_grants, revoke_grant
from miniport.platform.settings import PlatformSettings
from miniport.platform.web.deps import (
    SESSION_COOKIE,
    DbSession,
    OptionalSignIn,
    ReadDbSession,
    RuntimeDep,
)
from miniport.platform.web.forms import FormData, read_form
from miniport.platform.web.templating import render, render_error

router = APIRouter(include_in_schema=False)

HtmlForm = Annotated[FormData, Depends(read_form)]

# Generous for what a person types, far below what would hurt (users.username is 64 wide).
MAX_USERNAME_INPUT = 64
MAX_DISPLAY_NAME_INPUT = 64
MAX_NEXT_INPUT = 4096
MAX_TOKEN_INPUT = 128

SIGNUP_PROBLEMS: dict[type[AccountError], str] = {
    InvalidUsername: N_("Usernames are 3 to 32 letters, digits, “.”, “_” or “-”."),
    WeakPassword: N_("Passwords must be 8 to 256 characters long."),
    UsernameTaken: N_("This username is already taken. Please choose another one."),
}


def set_session_cookie(response: Response, value: str, *, settings: PlatformSettings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.browser_session_hours * 3600,
        path="/",
        # Scripts never need the session, so an injected script cannot steal it either.
        httponly=True,
        samesite="lax",
        # Secure cookies only work over HTTPS; on plain http the browser would drop them.
        secure=settings.secure_cookies,
    )


def clear_session_cookie(response: Response, *, settings: PlatformSettings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.secure_cookies
    )


def signin_url(next_path: str) -> str:
    return "/signin?" + urlencode({"next": next_path})


def _throttle(settings: PlatformSettings) -> SigninThrottle:
    return SigninThrottle(SigninFailureWindow, SigninLimits.of(settings))


def _client_address(request: Request) -> str:
    # uvicorn has already replaced this with X-Forwarded-For when the peer is a trusted proxy.
    return request.client.host if request.client else "unknown"


def _query(request: Request, name: str, max_length: int) -> str | None:
    value = request.query_params.get(name)
    return value if value is not None and len(value) <= max_length else None


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- sign in ----------------------------------------------------------------------------


def _signin_page(request: Request, context: dict[str, Any], *, status_code: int = 200) -> Response:
    return render(request, "signin.html", context, status_code=status_code)


@router.get("/signin")
def signin_form(request: Request, signin: OptionalSignIn) -> Response:
    next_path = safe_next(_query(request, "next", MAX_NEXT_INPUT))
    reauth = request.query_params.get("reauth") == "1"
    if signin is not None and not reauth:
        return _see_other(next_path)
    hint = _query(request, "login_hint", MAX_USERNAME_INPUT)
    return _signin_page(
        request,
        {
            "next": next_path,
            "username": hint or (signin.username if signin else ""),
            "reauth": reauth and signin is not None,
            "error": None,
        },
    )


@router.post("/signin")
def signin_submit(request: Request, form: HtmlForm, db: DbSession, runtime: RuntimeDep) -> Response:
    verify_csrf(request, form.optional(CSRF_FIELD, max_length=MAX_TOKEN_INPUT), runtime.cookie_key)
    next_path = safe_next(form.optional("next", max_length=MAX_NEXT_INPUT))
    username = form.required("username", max_length=MAX_USERNAME_INPUT).strip()
    password = form.required("password", max_length=MAX_PASSWORD_LENGTH)
    settings = runtime.settings
    throttle = _throttle(settings)
    address = _client_address(request)
    now = utcnow()
    context: dict[str, Any] = {"next": next_path, "username": username, "reauth": False}

    # Refused before the password is even looked at, so a guesser learns nothing more.
    wait = throttle.blocked_for(db, username=username, address=address, now=now)
    if wait is not None:
        context["error"] = N_(
            "Too many failed sign-in attempts. For your safety, please wait a few minutes "
            "and try again."
        )
        response = _signin_page(request, context, status_code=429)
        response.headers["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
        return response

    user = authenticate(db, runtime.passwords, username=username, password=password)
    if user is None:
        throttle.record_failure(db, username=username, address=address, now=now)
        db.commit()
        context["error"] = N_("Wrong username or password.")
        return _signin_page(request, context, status_code=422)

    throttle.clear_account(db, username=username)
    # A fresh session (and auth_time) every time, never an upgrade of the old one.
    end_session(db, request.cookies.get(SESSION_COOKIE))
    cookie = start_session(
        db, user_id=user.id, now=now, lifetime=timedelta(hours=settings.browser_session_hours)
    )
    db.commit()
    response = _see_other(next_path)
    set_session_cookie(response, cookie, settings=settings)
    return response


# --- sign up ----------------------------------------------------------------------------


@router.get("/signup")
def signup_form(request: Request) -> Response:
    next_path = safe_next(_query(request, "next", MAX_NEXT_INPUT))
    return render(
        request,
        "signup.html",
        {"next": next_path, "username": "", "display_name": "", "error": None},
    )


@router.post("/signup")
def signup_submit(request: Request, form: HtmlForm, db: DbSession, runtime: RuntimeDep) -> Response:
    verify_csrf(request, form.optional(CSRF_FIELD, max_length=MAX_TOKEN_INPUT), runtime.cookie_key)
    next_path = safe_next(form.optional("next", max_length=MAX_NEXT_INPUT))
    username = form.required("username", max_length=MAX_USERNAME_INPUT)
    display_name = form.optional("display_name", max_length=MAX_DISPLAY_NAME_INPUT) or ""
    password = form.required("password", max_length=MAX_PASSWORD_LENGTH)
    try:
        user = create_user(
            db, runtime.passwords, username=username, display_name=display_name, password=password
        )
    except AccountError as problem:
        db.rollback()
        return render(
            request,
            "signup.html",
            {
                "next": next_path,
                "username": username,
                "display_name": display_name,
                "error": SIGNUP_PROBLEMS.get(
                    type(problem), N_("The account could not be created.")
                ),
            },
            status_code=409 if isinstance(problem, UsernameTaken) else 422,
        )
    settings = runtime.settings
    end_session(db, request.cookies.get(SESSION_COOKIE))
    cookie = start_session(
        db,
        user_id=user.id,
        now=utcnow(),
        lifetime=timedelta(hours=settings.browser_session_hours),
    )
    db.commit()
    response = _see_other(next_path)
    set_session_cookie(response, cookie, settings=settings)
    return response


# --- sign out ---------------------------------------------------------------------------


@router.post("/signout")
def signout(request: Request, form: HtmlForm, db: DbSession, runtime: RuntimeDep) -> Response:
    verify_csrf(request, form.optional(CSRF_FIELD, max_length=MAX_TOKEN_INPUT), runtime.cookie_key)
    asked = form.optional("next", max_length=MAX_NEXT_INPUT)
    # Deleting the row, not only the cookie: a copy of the cookie must stop working too.
    end_session(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    response = _see_other(signin_url(safe_next(asked)) if asked else "/signin")
    clear_session_cookie(response, settings=runtime.settings)
    return response


# --- my authorizations ------------------------------------------------------------------


@router.get("/account/authorizations")
def authorizations(request: Request, signin: OptionalSignIn, db: ReadDbSession) -> Response:
    if signin is None:
        return _see_other(signin_url(DEFAULT_AFTER_SIGNIN))
    return render(
        request,
        "authorizations.html",
        {
            "signed_in": signin,
            "grants": list_grants(db, user_id=signin.user_id),
            "revoked": request.query_params.get("revoked") == "1",
        },
    )


@router.post("/account/authorizations/{client_id}/revoke")
def revoke_authorization(
    request: Request,
    client_id: str,
    form: HtmlForm,
    db: DbSession,
    runtime: RuntimeDep,
    signin: OptionalSignIn,
) -> Response:
    verify_csrf(request, form.optional(CSRF_FIELD, max_length=MAX_TOKEN_INPUT), runtime.cookie_key)
    if signin is None:
        return _see_other(signin_url(DEFAULT_AFTER_SIGNIN))
    if not has_active_grant(db, user_id=signin.user_id, client_id=client_id):
        return render_error(
            request,
            title=N_("Authorization not found"),
            message=N_(
                "This app has no authorization to revoke. It may have been revoked already."
            ),
            status_code=404,
        )
    revoke_grant(
        db,
        user_id=signin.user_id,
        client_id=client_id,
        now=utcnow(),
        identifiers=runtime.identifiers,
    )
    db.commit()
    # Cleared after the commit, so no look-up can cache the tokens as live again.
    runtime.tokens.clear()
    return _see_other(DEFAULT_AFTER_SIGNIN + "?revoked=1")
