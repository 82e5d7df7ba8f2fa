"""What every service's OpenAPI document and 405 answers share.

- ``allow_header``: RFC 9110 §15.5.6 — a 405 names every method the resource serves.
  Starlette names only the methods of the first route whose path matched, and a path served
  by one route per method (``GET`` and ``POST /authorize``, so that each has its own
  operation id) would then advertise one of them.
- ``finish_schema``: each service answers FastAPI's validation errors in its own format
  (never its 422 JSON), so the generated 422 responses and their schemas are removed from
  the document rather than promised. Two rules hold for every route of every service and are
  written once here rather than on each operation: a control character in a path or query
  value is refused (``miniport.common.control_characters``), and the request limits in front
  of each service (``miniport serve``) may answer 413, 414 or 431 before any route runs.
- small builders for the responses FastAPI cannot infer (HTML pages, redirects) and for the
  values the form readers take (``text``, ``decimal``).

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

# Unicode's control characters (category Cc: C0, DEL, C1), as a regular-expression class,
# and those a ``<textarea>`` may not hold (it may break lines and hold tabs).
_CONTROL = "\\x00-\\x1f\\x7f-\\x9f"
_MULTILINE_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f"
# A value on one line: what a path or query value and a single-line form field may hold.
TEXT = f"^[^{_CONTROL}]*$"


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


def _plain(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}


# What the request limits in front of a service answer (short plain text, before any route).
_LIMITS = {
    "414": _plain("The URL is longer than the server's limit"),
    "431": _plain("The request's header fields are too many or too large"),
}
_BODY_LIMIT = _plain("The request body is larger than the server's limit")


def _no_control_characters(operation: dict[str, Any]) -> None:
    """Every path and query string of ``operation`` without a stricter rule gets ``TEXT``."""
    for parameter in operation.get("parameters", ()):
        schema = parameter.get("schema", {})
        if parameter.get("in") not in ("path", "query") or schema.get("type") != "string":
            continue
        if "pattern" not in schema and "enum" not in schema and "const" not in schema:
            schema["pattern"] = TEXT


def _limits(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, response in _LIMITS.items():
        responses.setdefault(status, response)
    if "requestBody" in operation:
        # A route that reads the body may refuse a large one itself, in its own format.
        too_large = responses.setdefault("413", {"description": _BODY_LIMIT["description"]})
        too_large.setdefault("content", {}).update(_BODY_LIMIT["content"])


def _validation_error(response: Any) -> bool:
    """Whether ``response`` is the 422 FastAPI documents on its own (a route may declare a
    422 of its own: a form shown again)."""
    if not isinstance(response, dict):
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/HTTPValidationError")


def finish_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the 422 responses FastAPI documents by default; write the rules every route
    shares onto each operation (see the module docstring)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                responses = operation.get("responses", {})
                if _validation_error(responses.get("422")):
                    del responses["422"]
                _no_control_characters(operation)
                _limits(operation)
    schemas = schema.get("components", {}).get("schemas", {})
    for name in _VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return schema


def install_finished_schema(
    app: FastAPI, *, security_schemes: Mapping[str, Any] | None = None
) -> None:
    """Make ``app.openapi`` return the finished schema, with ``security_schemes`` among
    its components. Installed last, after every wrapper that extends the generated schema
    (the platform's ``openapi_docs.document``), so the operations they add are finished too."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            if security_schemes:
                components = schema.setdefault("components", {})
                components.setdefault("securitySchemes", {}).update(security_schemes)
            app.openapi_schema = finish_schema(schema)
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
    ``names`` pattern, values matching no ``values`` pattern, more than ``max_fields``.
    ``None``: the parser takes any name (or value); a reader that checks only the fields it
    reads (``miniport.common.forms``) gives each declared field its own pattern."""

    names: str | None
    values: str | None
    max_fields: int


def form_body(
    properties: Mapping[str, Mapping[str, Any]],
    required: Iterable[str] = (),
    *,
    rules: FormRules,
) -> dict[str, Any]:
    """A form-encoded request body of string fields, and of the other fields the parser
    takes (the handler ignores them)."""

    values = {} if rules.values is None else {"pattern": rules.values}

    def field(extra: Mapping[str, Any]) -> dict[str, Any]:
        constrained = "pattern" in extra or "enum" in extra
        return {"type": "string", **({} if constrained else values), **extra}

    schema: dict[str, Any] = {
        "type": "object",
        "required": list(required),
        "properties": {name: field(extra) for name, extra in properties.items()},
        # Other fields are ignored (RFC 6749 §3.2), if the parser takes them.
        "additionalProperties": {"type": "string", **values},
        "maxProperties": rules.max_fields,
    }
    if rules.names is not None:
        schema["propertyNames"] = {"pattern": rules.names}
    return {"required": True, "content": {FORM: {"schema": schema}}}


def text(*, max_length: int, multiline: bool = False, filled: bool = False) -> dict[str, Any]:
    """A value the form readers (``miniport.common.forms``) take: no control characters
    (a multiline one may break lines and hold tabs), at most ``max_length`` characters;
    ``filled``: not blank either (``FormData.required``, and values read stripped)."""
    control = _MULTILINE_CONTROL if multiline else _CONTROL
    pattern = f"^[^{control}]*$"
    if filled:
        pattern = f"^[^{control}]*[^\\s{_CONTROL}][^{control}]*$"
    return {"pattern": pattern, "maxLength": max_length}


def _digits(count: int) -> str:
    return "" if count == 0 else "[0-9]" if count == 1 else f"[0-9]{{{count}}}"


def _digit_range(first: int, last: int) -> str:
    return str(first) if first == last else f"[{first}-{last}]"


def _same_length(low: str, high: str) -> list[str]:
    """Alternatives matching exactly the numerals from ``low`` to ``high`` (equal lengths)."""
    if low == high:
        return [low]
    if low[0] == high[0]:
        return [low[0] + rest for rest in _same_length(low[1:], high[1:])]
    tail = len(low) - 1
    low_from_zero = low[1:] == "0" * tail
    high_to_nines = high[1:] == "9" * tail
    first = int(low[0]) if low_from_zero else int(low[0]) + 1
    last = int(high[0]) if high_to_nines else int(high[0]) - 1
    alternatives = []
    if not low_from_zero:
        alternatives += [low[0] + rest for rest in _same_length(low[1:], "9" * tail)]
    if first <= last:
        alternatives.append(_digit_range(first, last) + _digits(tail))
    if not high_to_nines:
        alternatives += [high[0] + rest for rest in _same_length("0" * tail, high[1:])]
    return alternatives


def decimal(minimum: int, maximum: int) -> dict[str, Any]:
    """A whole number from ``minimum`` to ``maximum`` (both at least 0) written as
    ``FormData.integer`` reads one: ASCII digits, no sign, no leading zero. A form sends
    every value as text, so the range is a pattern."""
    if not 0 <= minimum <= maximum:
        raise ValueError("decimal() describes ranges of numbers from 0 up")
    alternatives = []
    for length in range(len(str(minimum)), len(str(maximum)) + 1):
        low = max(minimum, 10 ** (length - 1) if length > 1 else 0)
        high = min(maximum, 10**length - 1)
        alternatives += _same_length(str(low), str(high))
    return {"pattern": "^(?:" + "|".join(alternatives) + ")$"}


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


def cookie_session(name: str, description: str) -> dict[str, Any]:
    """A security scheme: the session a browser holds in the cookie ``name``."""
    return {"type": "apiKey", "in": "cookie", "name": name, "description": description}
