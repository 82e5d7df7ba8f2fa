"""OpenAPI descriptions of what a client sends the host (``/openapi.json``): the pages that
take input (search, notes, brand cards), the account forms, the mini-program hand-off to
the platform and back, and the platform's webhooks (``routes.webhooks``).

Everything but the webhook receiver answers a page for people or a redirect. A browser's
session is the ``host_session`` cookie that signing in or up sets; pages show the mini-program
entry on brand cards to signed-in users only, and the hand-off sends signed-out users to
sign in (303). Every form carries the CSRF token its page rendered for this browser's
``mp_csrf`` cookie and session. Each constraint written here is one the handlers enforce.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from miniport.common.openapi import (
    FormRules,
    cookie_session,
    form_body,
    html,
    query_parameters,
    redirect,
    text,
)
from miniport.host.accounts.users import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from miniport.host.container.flow import (
    MAX_APPID,
    MAX_PATH,
    MAX_QUERY,
    MAX_STATE_LENGTH,
    QUERY_CHARACTERS,
)
from miniport.host.container.return_to import MAX_RETURN_LENGTH
from miniport.host.web.forms import MAX_FIELDS, MAX_FORM_BYTES

PAGES = "Pages"
ACCOUNTS = "Accounts"
MINI_PROGRAMS = "Mini programs"

SECURITY_SCHEMES: dict[str, Any] = {
    "hostSession": cookie_session("host_session", "The browser's session, set by signing in")
}
# Pages show more to a signed-in user (the mini-program entry on brand cards), and the
# hand-off sends a signed-out one to sign in: a session is never required of a request.
_OPTIONAL_SESSION: list[dict[str, list[str]]] = [{"hostSession": []}, {}]

# The common form reader checks only the fields a handler reads (``miniport.common.forms``).
FORM_RULES = FormRules(names=None, values=None, max_fields=MAX_FIELDS)
_CSRF = {"csrf_token": {"pattern": "^[A-Za-z0-9_-]{43}$"}}
_CSRF_COOKIE = {
    "name": "mp_csrf",
    "in": "cookie",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"},
    "description": "Set by any page of the host; the form's token is made for it",
}
_NEXT = {
    **text(max_length=MAX_RETURN_LENGTH),
    "description": "Where to go afterwards: a path on this site, anything else is ignored",
}
# In an address, a ``next`` of any length is taken (one that is not a path here is ignored).
_NEXT_QUERY = query_parameters({"next": {"description": _NEXT["description"]}})
_CONTROL = html("The address holds a control character")

_FORM_REFUSALS: dict[str, Any] = {
    "400": html(
        "The form cannot be used: a field missing, blank, repeated, too long or holding a "
        "control character"
    ),
    "403": html("The form did not come from this site's page in this browser (CSRF)"),
    "413": html(f"The form is larger than {MAX_FORM_BYTES // 1024} KiB"),
    "415": html("Not a form (`application/x-www-form-urlencoded`)"),
}


def _form(properties: Mapping[str, Mapping[str, Any]], required: Iterable[str]) -> dict[str, Any]:
    return form_body({**_CSRF, **properties}, ["csrf_token", *required], rules=FORM_RULES)


def _page(summary: str, responses: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {"tags": [PAGES], "summary": summary, "responses": {**responses}, **extra}


SEARCH = _page(
    "Search notes and brand accounts",
    {"200": html("The results, brand cards first"), "400": _CONTROL},
    parameters=query_parameters({"q": {"description": "Words to look for; may be empty"}}),
    security=_OPTIONAL_SESSION,
)

NOTE = _page(
    "A note",
    {
        "200": html("The note"),
        "400": _CONTROL,
        "404": html("No such note (or not a note number)"),
    },
)

BRANDS = _page(
    "The brand accounts, with their mini-program entries",
    {"200": html("The brand cards")},
    security=_OPTIONAL_SESSION,
)

BRAND = _page(
    "A brand account, with its mini-program entry and notes",
    {"200": html("The account"), "400": _CONTROL, "404": html("No such account")},
    security=_OPTIONAL_SESSION,
)

SIGNIN_PAGE: dict[str, Any] = {
    "tags": [ACCOUNTS],
    "summary": "The sign-in form (a page)",
    "security": _OPTIONAL_SESSION,
    "parameters": _NEXT_QUERY,
    "responses": {
        "200": html("The form"),
        "303": redirect("Already signed in: on to `next`"),
        "400": _CONTROL,
    },
}

SIGNIN: dict[str, Any] = {
    "tags": [ACCOUNTS],
    "summary": "Sign in with a username and password",
    "parameters": [_CSRF_COOKIE],
    "requestBody": _form(
        {
            "next": _NEXT,
            "username": text(max_length=64, filled=True),
            "password": text(max_length=MAX_PASSWORD_LENGTH, filled=True),
        },
        ["username", "password"],
    ),
    "responses": {
        **_FORM_REFUSALS,
        "303": redirect("On to `next` (or the feed), with a new session cookie"),
        "422": html("The form again: wrong username or password"),
        "429": html(
            "The form again: too many failed attempts for this account or address (`Retry-After`)"
        ),
    },
}

SIGNUP_PAGE: dict[str, Any] = {
    "tags": [ACCOUNTS],
    "summary": "The sign-up form (a page)",
    "parameters": _NEXT_QUERY,
    "responses": {"200": html("The form"), "400": _CONTROL},
}

# Spaces around a username are dropped and letters lowered (``accounts.create_user``); the
# Kelvin sign is the one character outside ASCII whose lower case is an ASCII letter.
_WHITESPACE = "[^\\S\\x00-\\x1f\\x7f-\\x9f]*"
_USERNAME = f"^{_WHITESPACE}[A-Za-z0-9_.\\u212a-]{{3,32}}{_WHITESPACE}$"

SIGNUP: dict[str, Any] = {
    "tags": [ACCOUNTS],
    "summary": "Create an account, and sign in",
    "parameters": [_CSRF_COOKIE],
    "requestBody": _form(
        {
            "next": _NEXT,
            "username": {
                "pattern": _USERNAME,
                "maxLength": 64,
                "description": "3 to 32 letters, digits, `.`, `_` or `-`, case-insensitive",
            },
            "display_name": text(max_length=64),
            "password": {
                **text(max_length=MAX_PASSWORD_LENGTH, filled=True),
                "minLength": MIN_PASSWORD_LENGTH,
            },
        },
        ["username", "password"],
    ),
    "responses": {
        **_FORM_REFUSALS,
        "303": redirect("On to `next` (or the feed), signed in as the new account"),
        "409": html("The form again: the username is taken"),
        "422": html("The form again: the username or password is not one the rules allow"),
    },
}

SIGNOUT: dict[str, Any] = {
    "tags": [ACCOUNTS],
    "summary": "Sign out (the session ends on the server too)",
    "parameters": [_CSRF_COOKIE],
    "requestBody": _form({}, []),
    "responses": {**_FORM_REFUSALS, "303": redirect("To the feed, the cookie cleared")},
}

# What a mini-program entry links to (``routes.miniprogram``).
_QUERY = QUERY_CHARACTERS.pattern
_OPEN_REQUEST: dict[str, dict[str, Any]] = {
    "appid": {"pattern": f"^[A-Za-z0-9]{{1,{MAX_APPID}}}$"},
    "path": {
        "pattern": f"^(/[^?\\x00-\\x1f\\x7f-\\x9f]*(\\?{_QUERY})?)?$",
        "maxLength": MAX_PATH,
        "description": "The mini-program page, perhaps with a query; empty: its home page",
    },
    "query": {
        "pattern": f"^{_QUERY}$",
        "maxLength": MAX_QUERY,
        "description": "More of the page's query (percent-encode other characters)",
    },
    "return": {
        **_NEXT,
        "description": "Where ✕ on the container leads: a path on this site, else the feed",
    },
}
_HAND_OFF_REFUSALS: dict[str, Any] = {
    "400": html("The link is incomplete or malformed"),
    "403": html(
        "No card here offers this mini program to this user now, or the platform refuses "
        "it (the reason shown)"
    ),
    "502": html("The platform could not be reached or did not answer as expected"),
}

OPEN: dict[str, Any] = {
    "tags": [MINI_PROGRAMS],
    "summary": "Tap a mini-program entry: on to the platform's consent, or the container",
    "security": _OPTIONAL_SESSION,
    "parameters": query_parameters(_OPEN_REQUEST, ["appid"]),
    "responses": {
        **_HAND_OFF_REFUSALS,
        "303": redirect(
            "To the platform's authorization endpoint, to the container when this user "
            "holds a live run ticket, or to sign in"
        ),
    },
}

RUN: dict[str, Any] = {
    "tags": [MINI_PROGRAMS],
    "summary": "The container: the mini program framed with a fresh launch code",
    "security": _OPTIONAL_SESSION,
    "parameters": query_parameters(
        {**_OPEN_REQUEST, "fresh": {"description": "`1`: the run ticket was issued just now"}},
        ["appid"],
    ),
    "responses": {
        **_HAND_OFF_REFUSALS,
        "200": html("The container"),
        "303": redirect("To authorize again (no live run ticket), or to sign in"),
        "404": html("The path is not a page of the mini program"),
    },
}

CALLBACK: dict[str, Any] = {
    "tags": [MINI_PROGRAMS],
    "summary": "The platform's authorization response (RFC 6749 §4.1.2, RFC 9207)",
    "security": _OPTIONAL_SESSION,
    "parameters": query_parameters(
        {
            "state": {"maxLength": MAX_STATE_LENGTH},
            "code": {},
            "iss": {},
            "error": {},
            "error_description": {},
        }
    ),
    "responses": {
        **_HAND_OFF_REFUSALS,
        "303": redirect("To the container, the run ticket stored; or to sign in"),
        "400": html(
            "No pending authorization for this state and user (used, expired, another "
            "user's), or a control character"
        ),
        "403": html(
            "The response carried an error, or the platform refused its code; the user "
            "declined, or the platform refuses the mini program now"
        ),
    },
}
