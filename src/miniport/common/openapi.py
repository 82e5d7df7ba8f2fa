"""What every service's OpenAPI document and 405 answers share.

- ``allow_header``: RFC 9110 §15.5.6 — a 405 names every method the resource serves.
  Starlette names only the methods of the first route whose path matched, and a path served
  by one route per method (``GET`` and ``POST /authorize``, so that each has its own
  operation id) would then advertise one of them.
- ``finish_schema``: each service answers FastAPI's validation errors in its own format with
  status 400 (never 422), so the generated 422 responses and their schemas are removed from
  the document rather than promised.
- small builders for the responses FastAPI cannot infer: HTML pages and redirects.

Everything here runs once, when the schema is generated, or on a 405; no request path pays.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

FORM = "application/x-www-form-urlencoded"
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allow_header(routes: Iterable[BaseRoute], scope: Scope) -> str:
    """The ``Allow`` value for the request in ``scope``: each method some route would take
    there. Asked of the routes themselves (``matches``), so routers included into the app
    are consulted as the app routes."""
    allowed = [
        method
        for method in _METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return ", ".join(allowed)


def finish_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the 422 responses FastAPI documents by default (see the module docstring)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    schemas = schema.get("components", {}).get("schemas", {})
    for name in _VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return schema


def install_finished_schema(app: FastAPI) -> None:
    """Make ``app.openapi`` return the finished schema; later wrappers (the platform's
    ``openapi_docs.document``) extend the finished one."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish_schema(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def html(description: str) -> dict[str, Any]:
    """A response that is an HTML page for people."""
    return {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}


def redirect(description: str) -> dict[str, Any]:
    """A 303 See Other, with where it leads."""
    return {
        "description": description,
        "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
    }


def json_response(description: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


@dataclass(frozen=True)
class FormRules:
    """What a service's form parser refuses, as JSON Schema: field names matching no
    ``names`` pattern, values matching no ``values`` pattern, more than ``max_fields``."""

    names: str
    values: str
    max_fields: int


def form_body(
    properties: Mapping[str, Mapping[str, Any]],
    required: Iterable[str] = (),
    *,
    rules: FormRules,
) -> dict[str, Any]:
    """A form-encoded request body of string fields, and of the other fields the parser
    takes (the handler ignores them)."""

    def field(extra: Mapping[str, Any]) -> dict[str, Any]:
        constrained = "pattern" in extra or "enum" in extra
        return {"type": "string", **({} if constrained else {"pattern": rules.values}), **extra}

    return {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": list(required),
                    "properties": {name: field(extra) for name, extra in properties.items()},
                    # Other fields are ignored (RFC 6749 §3.2), if the parser takes them.
                    "propertyNames": {"pattern": rules.names},
                    "additionalProperties": {"type": "string", "pattern": rules.values},
                    "maxProperties": rules.max_fields,
                }
            }
        },
    }


def query_parameters(
    properties: Mapping[str, Mapping[str, Any]], required: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Query parameters of string values."""
    needed = set(required)
    return [
        {
            "name": name,
            "in": "query",
            "required": name in needed,
            "schema": {"type": "string", **extra},
        }
        for name, extra in properties.items()
    ]
