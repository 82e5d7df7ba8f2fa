"""OpenAPI descriptions of what a client sends the store: the mini program's entry and the
forms of its pages (``/openapi.json``), with the pages that share a form's address.

Every answer is a page for people or a redirect: a form that did its work answers 303 See
Other to the page showing the result, and a refusal is a page in the reader's language with
the status saying why. A customer's forms need the session the entry starts (cookie
``shop_<slug>_session``), the staff's forms the staff session that signing in starts
(``shop_<slug>_staff``; without it they redirect to sign-in), and every form the CSRF token
its page rendered (``csrf_token``) for this browser's ``mp_csrf`` cookie and sessions.
Each constraint written here is one the handlers enforce.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from miniport.common.openapi import (
    FormRules,
    cookie_session,
    decimal,
    form_body,
    html,
    query_parameters,
    redirect,
    text,
)
from miniport.shop.appointments.appointments import MAX_NOTE_LENGTH, Purpose
from miniport.shop.cart.cart import MAX_QUANTITY
from miniport.shop.catalog.catalog import MAX_ID
from miniport.shop.orders.orders import (
    IDEMPOTENCY_KEY,
    MAX_ADDRESS_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PHONE_LENGTH,
)
from miniport.shop.sessions.entry import MAX_CODE_LENGTH
from miniport.shop.settings import ShopSettings
from miniport.shop.web.forms import MAX_FIELDS, MAX_FORM_BYTES

CUSTOMER = "Customer"
STAFF = "Staff"

# The common form reader checks only the fields a handler reads (``miniport.common.forms``):
# each declared field carries its own pattern, and other fields may hold anything.
FORM_RULES = FormRules(names=None, values=None, max_fields=MAX_FIELDS)

_CSRF = {"csrf_token": {"pattern": "^[A-Za-z0-9_-]{43}$"}}
_CSRF_COOKIE = {
    "name": "mp_csrf",
    "in": "cookie",
    "required": True,
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"},
    "description": "Set by any page of the store; the form's token is made for it",
}

_FORM_REFUSALS: dict[str, Any] = {
    "400": html(
        "The form cannot be used: a field missing, repeated, too long, holding a control "
        "character, or a number out of range"
    ),
    "403": html("The form did not come from this store's page in this browser (CSRF)"),
    "413": html(f"The form is larger than {MAX_FORM_BYTES // 1024} KiB"),
    "415": html("Not a form (`application/x-www-form-urlencoded`)"),
}
_NO_SESSION = html("No shop session: open the store from the app first")
_CUSTOMER_SECURITY: list[dict[str, list[str]]] = [{"shopSession": []}]
# Without a staff session a staff form redirects to sign-in: not a refusal of the request.
_STAFF_SECURITY: list[dict[str, list[str]]] = [{"staffSession": []}, {}]


def security_schemes(settings: ShopSettings) -> dict[str, Any]:
    return {
        "shopSession": cookie_session(
            settings.session_cookie, "The customer's session, started by `GET /mp/entry`"
        ),
        "staffSession": cookie_session(
            settings.staff_cookie, "The brand staff's session, started by `POST /staff/signin`"
        ),
    }


def _form(properties: Mapping[str, Mapping[str, Any]], required: Iterable[str]) -> dict[str, Any]:
    return form_body({**_CSRF, **properties}, ["csrf_token", *required], rules=FORM_RULES)


def _customer_form(
    summary: str,
    properties: Mapping[str, Mapping[str, Any]],
    required: Iterable[str],
    responses: Mapping[str, Any],
) -> dict[str, Any]:
    """A customer's form; path parameters come from the route's signature."""
    return {
        "tags": [CUSTOMER],
        "summary": summary,
        "security": _CUSTOMER_SECURITY,
        "parameters": [_CSRF_COOKIE],
        "requestBody": _form(properties, required),
        "responses": {**_FORM_REFUSALS, "401": _NO_SESSION, **responses},
    }


ENTRY: dict[str, Any] = {
    "tags": [CUSTOMER],
    "summary": "The mini program's launch URL: a platform launch code starts a shop session",
    "parameters": query_parameters(
        {
            "code": {
                "minLength": 1,
                "maxLength": MAX_CODE_LENGTH,
                "description": "The launch code from the platform's `/wxa/launch` (single use)",
            },
            "scene": {
                "description": "Where it was opened from; not a number of up to six digits: ignored"
            },
            "path": {
                "description": "The mini-program page to show, such as "
                "`/pages/product?id=3`; any other: the home page"
            },
            "host": {
                "description": "The launching host app, for the brand's reports; malformed: ignored"
            },
        },
        ["code"],
    ),
    "responses": {
        "303": redirect("To the page asked for, with the session cookie set"),
        "400": html(
            "No usable launch code, or one that is used, expired or for another mini program"
        ),
        "403": html(
            "The platform no longer lets this app open the store, or the account is restricted"
        ),
        "429": html("Too many attempts"),
        "503": html("The platform cannot be reached"),
    },
}

CART_ADD = _customer_form(
    "Add a piece to the bag",
    {"product_id": decimal(1, MAX_ID), "quantity": decimal(1, MAX_QUANTITY)},
    ["product_id", "quantity"],
    {
        "303": redirect("To the bag"),
        "404": html("No such piece for sale"),
        "409": html("The bag holds as many different pieces as it can"),
    },
)

CART_UPDATE = _customer_form(
    "Change a line's quantity (0 removes it; more than the most is capped)",
    {"product_id": decimal(1, MAX_ID), "quantity": decimal(0, 99)},
    ["product_id", "quantity"],
    {"303": redirect("To the bag")},
)

_IDEMPOTENCY_KEY = {
    "pattern": f"^{IDEMPOTENCY_KEY.pattern}$",
    "description": "Minted by the checkout page: one key places at most one order",
}


def _checkout_body() -> dict[str, Any]:
    """One of two forms of handover; the fields of the other are ignored."""
    body = _form({"idempotency_key": _IDEMPOTENCY_KEY}, ["idempotency_key", "fulfilment"])
    schema = body["content"]["application/x-www-form-urlencoded"]["schema"]
    schema["anyOf"] = [
        {
            "properties": {
                "fulfilment": {"type": "string", "enum": ["delivery"]},
                "recipient_name": {
                    "type": "string",
                    **text(max_length=MAX_NAME_LENGTH, filled=True),
                },
                "recipient_phone": {
                    "type": "string",
                    **text(max_length=MAX_PHONE_LENGTH, filled=True),
                },
                "address": {
                    "type": "string",
                    **text(max_length=MAX_ADDRESS_LENGTH, multiline=True, filled=True),
                },
            },
            "required": ["recipient_name", "recipient_phone", "address"],
        },
        {
            "properties": {
                "fulfilment": {"type": "string", "enum": ["pickup"]},
                "boutique_id": {"type": "string", **decimal(1, MAX_ID)},
            },
            "required": ["boutique_id"],
        },
    ]
    return body


PLACE_ORDER: dict[str, Any] = {
    "tags": [CUSTOMER],
    "summary": "Place the order for the bag (delivered, or picked up at a boutique)",
    "security": _CUSTOMER_SECURITY,
    "parameters": [_CSRF_COOKIE],
    "requestBody": _checkout_body(),
    "responses": {
        **_FORM_REFUSALS,
        "401": _NO_SESSION,
        "303": redirect(
            "To the order placed (or the one this key placed before); to the bag when empty"
        ),
        "409": html("The checkout page again: that boutique is not one of the brand's"),
    },
}

_ORDER_MOVE = {
    "303": redirect("To the order"),
    "404": html("No such order in this customer's account (or not an order number)"),
    "409": html("The order's state no longer allows this"),
}

PAY_ORDER = _customer_form("Pay for an order (simulated cashier)", {}, [], _ORDER_MOVE)

MOVE_ORDER = _customer_form("Cancel an order, or confirm its receipt", {}, [], _ORDER_MOVE)

BOOK_VISIT = _customer_form(
    "Book a visit to a boutique",
    {
        "boutique_id": decimal(1, MAX_ID),
        "day": {"format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"},
        "time": {"pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
        "purpose": {"enum": [purpose.value for purpose in Purpose]},
        "note": text(max_length=MAX_NOTE_LENGTH, multiline=True),
    },
    ["boutique_id", "day", "time", "purpose"],
    {
        "303": redirect("To the customer's page, which lists the booking"),
        "409": html(
            "Not one of the boutique's open slots in the next two weeks, or no such boutique"
        ),
    },
)

# Pages that share an address with a form, so that the document names every method there.
ORDERS_PAGE: dict[str, Any] = {
    "tags": [CUSTOMER],
    "summary": "The customer's orders (a page)",
    "security": _CUSTOMER_SECURITY,
    "responses": {"200": html("The orders"), "401": _NO_SESSION},
}

CASHIER_PAGE: dict[str, Any] = {
    "tags": [CUSTOMER],
    "summary": "The cashier for an unpaid order (a page)",
    "security": _CUSTOMER_SECURITY,
    "responses": {
        "200": html("The cashier"),
        "303": redirect("To the order, which no longer awaits payment"),
        "400": html("The address holds a control character"),
        "401": _NO_SESSION,
        "404": html("No such order in this customer's account (or not an order number)"),
    },
}

STAFF_SIGNIN_PAGE: dict[str, Any] = {
    "tags": [STAFF],
    "summary": "The staff sign-in form (a page)",
    "responses": {"200": html("The form")},
}

STAFF_SIGNIN: dict[str, Any] = {
    "tags": [STAFF],
    "summary": "Staff sign-in with the store's staff password",
    "parameters": [_CSRF_COOKIE],
    "requestBody": _form({"password": text(max_length=256)}, []),
    "responses": {
        **_FORM_REFUSALS,
        "303": redirect("To the orders, with the staff session cookie set"),
        "401": html("The sign-in form again: wrong password"),
        "429": html("The sign-in form again: too many wrong passwords from this address"),
    },
}

STAFF_SIGNOUT: dict[str, Any] = {
    "tags": [STAFF],
    "summary": "Staff sign-out",
    "security": _STAFF_SECURITY,
    "parameters": [_CSRF_COOKIE],
    "requestBody": _form({}, []),
    "responses": {**_FORM_REFUSALS, "303": redirect("To the sign-in page, the cookie cleared")},
}

STAFF_MOVE_ORDER: dict[str, Any] = {
    "tags": [STAFF],
    "summary": "Ship, complete or cancel an order",
    "security": _STAFF_SECURITY,
    "parameters": [_CSRF_COOKIE],
    "requestBody": _form({}, []),
    "responses": {
        **_FORM_REFUSALS,
        "303": redirect("To the orders; without a staff session, to sign-in"),
        "404": html("No such order (or not an order number)"),
        "409": html("The order's state no longer allows this"),
    },
}
