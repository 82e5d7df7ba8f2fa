"""Sign-up, sign-in, sign-out and the "Me" page.

Every POST checks the CSRF token first, reads its form strictly and commits in one place.
Sign-in is throttled per account and per client address (``miniport.common.signin_throttle``).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from miniport.common.clock import utcnow
from miniport.common.csrf import CSRF_FIELD, verify_csrf
from miniport.common.i18n import N_
from miniport.host.accounts import (
    MAX_PASSWORD_LENGTH,
    AccountError,
    InvalidUsername,
    UsernameTaken,
    WeakPassword,
    authenticate,
    create_user,
    end_session,
    start_session,
)
from miniport.host.container.return_to import safe_return
from miniport.host.settings import HostSettings
from miniport.host.web import openapi_docs
from miniport.host.web.deps import (
    SESSION_COOKIE,
    DbSession,
    HtmlForm,
    OptionalSignIn,
    RuntimeDep,
)
from miniport.host.web.templating import render

# The account forms and their pages are in the OpenAPI document; "Me" takes no input.
router = APIRouter()

MAX_USERNAME_INPUT = 64
MAX_DISPLAY_NAME_INPUT = 64
MAX_NEXT_INPUT = 2048
MAX_TOKEN_INPUT = 128
AFTER_SIGNIN = "/"

SIGNUP_PROBLEMS: dict[type[AccountError], str] = {
    InvalidUsername: N_("Usernames are 3 to 32 letters, digits, “.”, “_” or “-”."),
    WeakPassword: N_("Passwords must be 8 to 256 characters long."),
    UsernameTaken: N_("This username is already taken. Please choose another one."),
}


def signin_url(next_path: str) -> str:
    return "/signin?" + urlencode({"next": next_path})


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _client_address(request: Request) -> str:
    # uvicorn has already replaced this with X-Forwarded-For when the peer is a trusted proxy.
    return request.client.host if request.client else "unknown"


def _set_session_cookie(response: Response, value: str, settings: HostSettings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=settings.browser_session_hours * 3600,
        path="/",
        # Scripts never need the session, so an injected script cannot steal it either.
        httponly=True,
        # Lax, not Strict: coming back from the platform's consent page is a cross-site
        # top-level navigation, and the callback must still know who is signed in.
        samesite="lax",
        secure=settings.secure_cookies,
    )


def _signed_in_response(
    db: DbSession, runtime: RuntimeDep, request: Request, user_id: int, next_path: str
) -> Response:
    settings = runtime.settings
    # A fresh session every time, never an upgrade of one planted before sign-in.
    end_session(db, request.cookies.get(SESSION_COOKIE))
    cookie = start_session(
        db,
        user_id=user_id,
        now=utcnow(),
        lifetime=timedelta(hours=settings.browser_session_hours),
    )
    db.commit()
    response = see_other(next_path)
    _set_session_cookie(response, cookie, settings)
    return response


@router.get("/signin", response_class=HTMLResponse, openapi_extra=openapi_docs.SIGNIN_PAGE)
def signin_form(request: Request, signin: OptionalSignIn) -> Response:
    next_path = safe_return(request.query_params.get("next"), AFTER_SIGNIN)
    if signin is not None:
        return see_other(next_path)
    return render(request, "signin.html", {"next": next_path, "username": "", "error": None})


@router.post(
    "/signin",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.SIGNIN,
)
def signin_submit(request: Request, form: HtmlForm, db: DbSession, runtime: RuntimeDep) -> Response:
    verify_csrf(request, form.optional(CSRF_FIELD, max_length=MAX_TOKEN_INPUT), runtime.cookie_key)
    next_path = safe_return(form.optional("next", max_length=MAX_NEXT_INPUT), AFTER_SIGNIN)
    username = form.required("username", max_length=MAX_USERNAME_INPUT).strip()
    password = form.required("password", max_length=MAX_PASSWORD_LENGTH)
    throttle, address, now = runtime.signin_throttle, _client_address(request), utcnow()
    context: dict[str, Any] = {"next": next_path, "username": username}

    # Refused before the password is even looked at, so a guesser learns nothing more.
    wait = throttle.blocked_for(db, username=username, address=address, now=now)
    if wait is not None:
        context["error"] = N_(
            "Too many failed sign-in attempts. For your safety, please wait a few minutes "
            "and try again."
        )
        response = render(request, "signin.html", context, status_code=429)
        response.headers["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
        return response

    user = authenticate(db, runtime.passwords, username=username, password=password)
    if user is None:
        throttle.record_failure(db, username=username, address=address, now=now)
        db.commit()
        context["error"] = N_("Wrong username or password.")
        return render(request, "signin.html", context, status_code=422)
    throttle.clear_account(db, username=username)
    return _signed_in_response(db, runtime, request, user.id, next_path)


@router.get("/signup", response_class=HTMLResponse, openapi_extra=openapi_docs.SIGNUP_PAGE)
def signup_form(request: Request) -> Response:
    next_path = safe_return(request.query_params.get("next"), AFTER_SIGNIN)
    context = {"next": next_path, "username": "", "display_name": "", "error": None}
    return render(request, "signup.html", context)


@router.post(
    "/signup",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.SIGNUP,
)
def signup_submit(request: Request, form: HtmlForm, db: DbSession, runtime: RuntimeDep) -> Response:
    verify_csrf(request, form.optional(CSRF_FIELD, max_length=MAX_TOKEN_INPUT), runtime.cookie_key)
    next_path = safe_return(form.optional("next", max_length=MAX_NEXT_INPUT), AFTER_SIGNIN)
    username = form.required("username", max_length=MAX_USERNAME_INPUT)
    display_name = form.optional("display_name", max_length=MAX_DISPLAY_NAME_INPUT) or ""
    password = form.required("password", max_length=MAX_PASSWORD_LENGTH)
    try:
        user = create_user(
            db, runtime.passwords, username=username, display_name=display_name, password=password
        )
    except AccountError as problem:
        db.rollback()
        context = {
            "next": next_path,
            "username": username,
            "display_name": display_name,
            "error": SIGNUP_PROBLEMS.get(type(problem), N_("The account could not be created.")),
        }
        status = 409 if isinstance(problem, UsernameTaken) else 422
        return render(request, "signup.html", context, status_code=status)
    return _signed_in_response(db, runtime, request, user.id, next_path)


@router.post(
    "/signout",
    status_code=303,
    response_class=RedirectResponse,
    openapi_extra=openapi_docs.SIGNOUT,
)
def signout(request: Request, form: HtmlForm, db: DbSession, runtime: RuntimeDep) -> Response:
    verify_csrf(request, form.optional(CSRF_FIELD, max_length=MAX_TOKEN_INPUT), runtime.cookie_key)
    # Deleting the row, not only the cookie: a copy of the cookie must stop working too.
    end_session(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    response = see_other("/")
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=runtime.settings.secure_cookies,
    )
    return response


@router.get("/me", include_in_schema=False)
def me(request: Request, signin: OptionalSignIn) -> Response:
    if signin is None:
        return see_other(signin_url("/me"))
    return render(request, "me.html", {"tab": "me"})
