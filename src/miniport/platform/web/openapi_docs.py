"""OpenAPI documentation of the endpoints ``web.fastpath`` serves outside FastAPI's router.

FastAPI documents only the routes it routes. These operations are written out once here
and merged into the generated schema by ``document``, so ``/openapi.json`` describes the
whole platform while each endpoint keeps exactly one implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI

TAG = "OpenID Connect"
FORM = "application/x-www-form-urlencoded"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(description: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json(
        "RFC 6749 §5.2 error (malformed or repeated parameters, bad grant)", _ref("OAuthError")
    ),
    "401": _json(
        "Client authentication failed (`invalid_client`, with a `WWW-Authenticate` challenge)",
        _ref("OAuthError"),
    ),
    "405": _json(
        "Method not allowed (`invalid_request`, with an `Allow` header)", _ref("OAuthError")
    ),
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
    }
}


def _form(properties: Mapping[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": required,
                    "properties": {
                        name: {"type": "string", **extra} for name, extra in properties.items()
                    },
                }
            }
        },
    }


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
            {"token": {}, "token_type_hint": {}, "client_id": {}, "client_secret": {}},
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
