"""OpenAPI descriptions of the OpenID Connect endpoints that FastAPI routes (``routes.oauth``).

The authorization endpoint and its continuations are pages for people: they answer with a
redirect (to the client, to sign-in) or an HTML page, and while the client is unverified an
error is a 400 page (RFC 6749 §4.1.2.1); once it is verified, an error goes back to the
client as a redirect carrying ``error``. Userinfo and revocation answer RFC 6749 JSON errors
(401 with a ``WWW-Authenticate`` challenge). Each constraint written here is one the
endpoint enforces, so a request outside it is refused and a request inside it gets past
parsing.
"""

from __future__ import annotations

from typing import Any

from miniport.common.openapi import form_body, html, json_response, query_parameters, redirect
from miniport.platform.oauth.authorize import MAX_PARAMETER_LENGTH
from miniport.platform.oauth.revoke import TOKEN_TYPE_HINTS
from miniport.platform.web.openapi_docs import FORM_RULES, oauth_error

_LIMITED = {"maxLength": MAX_PARAMETER_LENGTH}

# OIDC Core §3.1.2.1 and RFC 7636 §4.3 as this provider takes them; sent as a query string
# (GET) or a form (POST). Parameters it does not know are ignored.
_AUTHORIZATION_REQUEST: dict[str, dict[str, Any]] = {
    "client_id": {"minLength": 1, **_LIMITED},
    "redirect_uri": {
        "minLength": 1,
        **_LIMITED,
        "description": "Exactly one of the client's registered redirect URIs",
    },
    "response_type": {"enum": ["code"]},
    "scope": {**_LIMITED, "description": "Space-separated; must include `openid`"},
    "code_challenge": {"pattern": "^[A-Za-z0-9_-]{43}$", "description": "BASE64URL(SHA-256)"},
    "code_challenge_method": {"enum": ["S256"]},
    "state": _LIMITED,
    "nonce": _LIMITED,
    "response_mode": {"enum": ["query"]},
    "prompt": {**_LIMITED, "description": "`none`, or any of `login` and `consent`"},
    "max_age": {"pattern": "^[0-9]{1,10}$", "description": "Seconds"},
    "login_hint": _LIMITED,
    "authorization_details": {
        **_LIMITED,
        "description": "RFC 9396 JSON array of `miniprogram_run` entries naming the appids",
    },
}
_AUTHORIZATION_REQUIRED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "code_challenge",
    "code_challenge_method",
)

_AUTHORIZATION_RESPONSES: dict[str, Any] = {
    "200": html("The consent page"),
    "303": redirect(
        "Back to the client's redirect URI with `code` or `error` (and `state`, `iss`), "
        "or on to the sign-in page"
    ),
    "400": html(
        "The client or its redirect URI is missing, unknown or repeated: an error page, "
        "never a redirect to an unverified address"
    ),
}

AUTHORIZE_GET: dict[str, Any] = {
    "parameters": query_parameters(_AUTHORIZATION_REQUEST, _AUTHORIZATION_REQUIRED),
    "responses": _AUTHORIZATION_RESPONSES,
}

AUTHORIZE_POST: dict[str, Any] = {
    "requestBody": form_body(_AUTHORIZATION_REQUEST, _AUTHORIZATION_REQUIRED, rules=FORM_RULES),
    "responses": _AUTHORIZATION_RESPONSES,
}

_SEALED = {"minLength": 1, "description": "The sealed authorization request"}

AUTHORIZE_RESUME: dict[str, Any] = {
    "parameters": query_parameters({"request": _SEALED}, ["request"]),
    "responses": {
        **_AUTHORIZATION_RESPONSES,
        "400": html("The sealed request is missing, tampered with or expired"),
    },
}

AUTHORIZE_CONSENT: dict[str, Any] = {
    "requestBody": form_body(
        {
            "csrf_token": {"minLength": 1},
            "request": _SEALED,
            "decision": {"enum": ["allow", "deny"]},
        },
        ["csrf_token", "request", "decision"],
        rules=FORM_RULES,
    ),
    "responses": {
        "303": redirect(
            "Back to the client with `code` (allowed) or `error=access_denied`, or to sign-in"
        ),
        "400": html("The form or the sealed request is malformed, tampered with or expired"),
        "403": html("The form did not come from the consent page (CSRF)"),
    },
}

_USERINFO_RESPONSES: dict[str, Any] = {
    "200": json_response(
        "The claims: `sub`, pairwise to the host app",
        {"type": "object", "required": ["sub"], "properties": {"sub": {"type": "string"}}},
    ),
    "401": oauth_error("No token, or an invalid, expired or revoked one (`invalid_token`)"),
    "403": oauth_error("The token was not issued with scope openid (`insufficient_scope`)"),
}

USERINFO_GET: dict[str, Any] = {
    "security": [{"oauth2": ["openid"]}],
    "responses": _USERINFO_RESPONSES,
}

USERINFO_POST: dict[str, Any] = {
    # OIDC Core §5.3.1: the token in the Authorization header, or (RFC 6750 §2.2) in the form.
    "security": [{"oauth2": ["openid"]}, {}],
    "requestBody": {**form_body({"access_token": {}}, rules=FORM_RULES), "required": False},
    "responses": {
        **_USERINFO_RESPONSES,
        "400": oauth_error("The form is malformed (`invalid_request`)"),
    },
}

REVOKE: dict[str, Any] = {
    "security": [{"clientSecretBasic": []}, {}],
    "requestBody": form_body(
        {
            "token": {"minLength": 1},
            "token_type_hint": {"enum": sorted(TOKEN_TYPE_HINTS)},
            "client_id": {},
            "client_secret": {},
        },
        ["token"],
        rules=FORM_RULES,
    ),
    "responses": {
        "200": {"description": "Revoked, or the token was unknown (RFC 7009 §2.2)"},
        "400": oauth_error(
            "Malformed or repeated parameters, no token, two client authentication methods "
            "(`invalid_request`), an unknown hint (`unsupported_token_type`)"
        ),
        "401": oauth_error("Client authentication failed (`invalid_client`)"),
    },
}
