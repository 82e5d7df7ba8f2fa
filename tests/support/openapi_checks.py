"""What schemathesis' checks need to know about this project's protocols, in one place.

The fuzz tests import it, and ``schemathesis run`` loads it as a hooks module
(``SCHEMATHESIS_HOOKS=tests.support.openapi_checks``), so both judge the same way:

- ``negative_data_rejection_by_protocol`` replaces schemathesis' ``negative_data_rejection``.
  That check counts a refusal only by HTTP status (4xx). Two of our protocols refuse
  otherwise, by their specifications:

  * the mini-program API answers every refusal with HTTP 200 and a non-zero ``errcode``
    (its SDKs treat any other status as a network failure; ``miniprogram_api.errors``);
  * the authorization endpoint, once the client and redirect URI are verified, sends every
    other error back to the client as a redirect carrying ``error`` (RFC 6749 §4.1.2.1).

  Such an answer is handed to the unchanged check as the 400 it stands for; any other
  answer is judged exactly as before, so a schema-violating request that one of these
  endpoints accepts (errcode 0, a redirect without ``error``) still fails.
- ``positive_data_acceptance_by_protocol`` replaces ``positive_data_acceptance``, which
  excuses a 400 or 422 refusal of a schema-valid request only on the endpoints the schema
  names as minting credentials (a ``tokenUrl``): "a schema promises which requests are well
  formed, not which credentials exist". The host's sign-in form mints a session the same
  way, and answers a wrong password with the form again, 422 (as the platform's sign-in page
  does); OpenAPI has no place to say so for a form. Any other answer is judged as before.
- ``one_client_authentication``: RFC 6749 §2.3.1 lets a client use one authentication
  method per request, and RFC 6750 §2 one way of sending a token; a request with both the
  Authorization header and ``client_secret`` (or ``access_token``) in the form is refused
  (400). OpenAPI cannot say "these form fields only without that header", so a schema-valid
  case that the caller authenticates with the header drops the form's credentials, as a
  client using the header would.
- ``times_in_the_future``: a schema-valid case's trial end in the past is moved ahead, since
  no schema keyword can say "after the request arrives".
- ``signed_delivery``: a webhook delivery signed as the platform signs it (Standard Webhooks,
  over the body exactly as sent), so the receiver's success path is fuzzed too. With
  ``MINIPORT_WEBHOOK_SECRET`` set, ``schemathesis run`` signs every delivery it can.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import schemathesis
from schemathesis import Case
from schemathesis.checks import CheckContext
from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from standardwebhooks.webhooks import Webhook

ERRCODE_TAG = "Mini-program API"
AUTHORIZATION_PATHS = ("/authorize", "/authorize/resume", "/authorize/consent")


def _errcode_refusal(response: Response) -> bool:
    if response.status_code != 200:
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    errcode = body.get("errcode") if isinstance(body, dict) else None
    return type(errcode) is int and errcode != 0


def _error_redirect(response: Response) -> bool:
    if response.status_code not in (302, 303):
        return False
    location = response.headers.get("location", [""])[0]
    return "error" in parse_qs(urlsplit(location).query)


def refused_by_protocol(case: Case, response: Response) -> bool:
    """Whether ``response`` is a refusal in the protocol of ``case``'s operation."""
    if ERRCODE_TAG in (case.operation.tags or ()):
        return _errcode_refusal(response)
    if case.operation.path in AUTHORIZATION_PATHS:
        return _error_redirect(response)
    return False


@schemathesis.check
def negative_data_rejection_by_protocol(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    if refused_by_protocol(case, response):
        as_http = copy.copy(response)
        as_http.status_code = 400
        return negative_data_rejection(ctx, as_http, case)
    return negative_data_rejection(ctx, response, case)


# Forms that start a session from a username and password (``POST``), answering a wrong one
# with the form again, 422.
SIGN_IN_FORMS = ("/signin",)


@schemathesis.check
def positive_data_acceptance_by_protocol(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    sign_in = case.method.upper() == "POST" and case.operation.path in SIGN_IN_FORMS
    if sign_in and response.status_code == 422:
        return None  # the credentials were refused, not the request
    return positive_data_acceptance(ctx, response, case)


# Form fields that carry credentials another way than the Authorization header.
FORM_CREDENTIALS = ("client_id", "client_secret", "access_token")


def one_client_authentication(case: Case) -> None:
    """Drop the form's credentials from a schema-valid case sent with an Authorization
    header (RFC 6749 §2.3.1, RFC 6750 §2: one method per request)."""
    headers = {name.lower() for name in (case.headers or {})}
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if "authorization" in headers and positive and isinstance(case.body, dict):
        for name in FORM_CREDENTIALS:
            case.body.pop(name, None)


# Body fields whose time must lie in the future when the request arrives.
FUTURE_TIMES = ("trial_ends_at",)


def times_in_the_future(case: Case) -> None:
    """Move a schema-valid case's past ``FUTURE_TIMES`` a year ahead.

    "In the future" depends on when the request arrives, which no JSON Schema keyword can
    say; the endpoint refuses a past trial end (400 ``invalid_staging``), and a client sends
    a time ahead of its clock, as this does."""
    if not (case.meta is not None and case.meta.generation.mode.is_positive):
        return
    if not isinstance(case.body, dict):
        return
    now = dt.datetime.now(dt.UTC)
    for name in FUTURE_TIMES:
        value = case.body.get(name)
        try:
            when = dt.datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            continue
        if when is not None and when.tzinfo is not None and when <= now:
            case.body[name] = (now + dt.timedelta(days=365)).isoformat()


def as_a_client_sends(case: Case) -> None:
    one_client_authentication(case)
    times_in_the_future(case)


WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def signed_delivery(case: Case, secret: str) -> dict[str, Any]:
    """Sign ``case`` as the platform signs a delivery (Standard Webhooks: HMAC-SHA256 of
    ``id.timestamp.body`` under the ``whsec_`` secret); the keyword arguments that make
    ``Case.call`` send the body exactly as signed.

    Only a case whose headers were generated valid is signed (a fresh timestamp and the
    signature replace theirs): one generated without a signature header, or with a
    malformed one, must stay unsigned, or signing would make it valid. Its body may be
    anything: a signed body that is not an event must still be refused."""
    if case.meta is None or case.meta.is_negative_at(ParameterLocation.HEADER):
        return {}
    headers = {name.lower(): value for name, value in (case.headers or {}).items()}
    if not all(isinstance(headers.get(name), str) for name in WEBHOOK_HEADERS):
        return {}
    # As the requests transport would serialise it (``json=``), now fixed as the bytes sent.
    if isinstance(case.body, NotSet):
        body = b""
    elif isinstance(case.body, bytes):
        body = case.body  # a body generated as raw bytes (not JSON at all)
    else:
        body = json.dumps(case.body).encode()
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return {}  # the platform signs text; this body cannot be one of its deliveries
    webhook_id = headers["webhook-id"] or "msg_" + secrets.token_hex(8)
    now = dt.datetime.now(dt.UTC)
    case.headers = {
        **{
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() not in WEBHOOK_HEADERS
        },
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, now, text),
    }
    return {"data": body}


@schemathesis.hook
def before_call(_context: Any, case: Case, kwargs: dict[str, Any]) -> None:
    as_a_client_sends(case)
    secret = os.environ.get("MINIPORT_WEBHOOK_SECRET")
    if secret and case.operation.path.startswith("/webhooks/"):
        kwargs.update(signed_delivery(case, secret))
