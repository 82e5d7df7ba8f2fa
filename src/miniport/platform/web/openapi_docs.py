"""OpenAPI documentation of the endpoints ``web.fastpath`` serves outside FastAPI's router.

FastAPI documents only the routes it routes. These operations are written out once here
and merged into the generated schema by ``document``, so ``/openapi.json`` describes the
whole platform while each endpoint keeps exactly one implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

from miniport.common.openapi import FormRules, form_body
from miniport.platform.web.forms import MAX_FIELDS

TAG = "OpenID Connect"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def oauth_error(description: str) -> dict[str, Any]:
    """An RFC 6749 §5.2 error answer."""
    return _json(description, _ref("OAuthError"))


_ERRORS = {
    "400": oauth_error("RFC 6749 §5.2 error (malformed or repeated parameters, bad grant)"),
    "401": oauth_error(
        "Client authentication failed (`invalid_client`, with a `WWW-Authenticate` challenge)"
    ),
    "405": oauth_error("Method not allowed (`invalid_request`, with an `Allow` header)"),
}

_BASIC_AUTH: list[dict[str, list[str]]] = [{"clientSecretBasic": []}, {}]

SCHEMAS: dict[str, Any] = {
    "OAuthError": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string"},
            "error_description": {"type": "string"},
        },
    },
    "TokenResponse": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "scope"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "expires_in": {"type": "integer"},
            "scope": {"type": "string"},
            "refresh_token": {"type": "string"},
            "id_token": {"type": "string"},
            "authorization_details": {"type": "array", "items": {"type": "object"}},
        },
    },
    "IntrospectionResponse": {
        "type": "object",
        "required": ["active"],
        "properties": {
            "active": {"type": "boolean"},
            "scope": {"type": "string"},
            "client_id": {"type": "string"},
            "token_type": {"type": "string"},
            "exp": {"type": "integer"},
            "iat": {"type": "integer"},
            "iss": {"type": "string"},
            "aud": {"type": "string"},
            "sub": {"type": "string"},
            "authorization_details": {"type": "array", "items": {"type": "object"}},
        },
    },
}

SECURITY_SCHEMES: dict[str, Any] = {
    "clientSecretBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "client_secret_basic (RFC 6749 §2.3.1); client_secret_post is the "
        "alternative: client_id and client_secret in the form.",
    },
    # The provider's own flows; its tokens are what the other endpoints take as bearers.
    "oauth2": {
        "type": "oauth2",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": "/authorize",
                "tokenUrl": "/token",
                "refreshUrl": "/token",
                "scopes": {
                    "openid": "Sign the user in; the run ticket reads /userinfo",
                    "miniprogram": "Run the mini programs named in authorization_details",
                },
            },
            "clientCredentials": {
                "tokenUrl": "/token",
                "scopes": {"ports": "The host app's ports API"},
            },
        },
    },
}


# What ``web.forms.parse_urlencoded`` refuses: control characters in a field's name, NUL in
# its value, more than ``MAX_FIELDS`` fields. (Lone surrogates, which it refuses too, cannot
# come out of its strict UTF-8 decoding, so the pattern need not name them.)
FORM_RULES = FormRules(
    names="^[^\\x00-\\x1f\\x7f-\\x9f]*$",
    values="^[^\\x00]*$",
    max_fields=MAX_FIELDS,
)


def _form(properties: Mapping[str, Any], required: list[str]) -> dict[str, Any]:
    return form_body(properties, required, rules=FORM_RULES)


DISCOVERY: dict[str, Any] = {
    "get": {
        "tags": [TAG],
        "summary": "OpenID Provider metadata",
        "operationId": "openid_configuration",
        "responses": {"200": _json("OpenID Connect Discovery 1.0 metadata", {"type": "object"})},
    }
}

JWKS: dict[str, Any] = {
    "get": {
        "tags": [TAG],
        "summary": "The public signing keys (active and previous)",
        "operationId": "jwks",
        "responses": {
            "200": {
                "description": "RFC 7517 JWK Set",
                "content": {"application/jwk-set+json": {"schema": {"type": "object"}}},
            }
        },
    }
}

TOKEN: dict[str, Any] = {
    "post": {
        "tags": [TAG],
        "summary": "Token endpoint (authorization_code, refresh_token, client_credentials)",
        "operationId": "token",
        "security": _BASIC_AUTH,
        "requestBody": _form(
            {
                "grant_type": {
                    "enum": ["authorization_code", "refresh_token", "client_credentials"]
                },
                # RFC 6749 §3.2: a parameter sent without a value counts as omitted.
                "code": {},
                "redirect_uri": {},
                "code_verifier": {},
                "refresh_token": {},
                "scope": {},
                "client_id": {},
                "client_secret": {},
            },
            ["grant_type"],
        ),
        "responses": {
            "200": _json("Issued tokens (`Cache-Control: no-store`)", _ref("TokenResponse")),
            **_ERRORS,
        },
    }
}

INTROSPECT: dict[str, Any] = {
    "post": {
        "tags": [TAG],
        "summary": "RFC 7662 token introspection (client authentication required)",
        "operationId": "introspect_token",
        "security": _BASIC_AUTH,
        "requestBody": _form(
            {
                "token": {"minLength": 1},
                "token_type_hint": {},
                "client_id": {},
                "client_secret": {},
            },
            ["token"],
        ),
        "responses": {
            "200": _json(
                "The token's state; tokens of other clients read as inactive",
                _ref("IntrospectionResponse"),
            ),
            **_ERRORS,
        },
    }
}


def document(
    app: FastAPI,
    paths: Mapping[str, Mapping[str, Any]],
    *,
    schemas: Mapping[str, Any] | None = None,
    security_schemes: Mapping[str, Any] | None = None,
) -> None:
    """Merge ``paths`` (path → operations), and the component schemas and security schemes
    they refer to, into ``app``'s generated OpenAPI schema. May be called once per family of
    lean endpoints; each call extends the schema the previous ones produce."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()  # FastAPI caches it on the app; extended once, here
            schema.setdefault("paths", {})
            for path, operations in paths.items():
                schema["paths"].setdefault(path, {}).update(operations)
            components = schema.setdefault("components", {})
            if schemas:
                components.setdefault("schemas", {}).update(schemas)
            if security_schemes:
                components.setdefault("securitySchemes", {}).update(security_schemes)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
