"""Reading the mini-program API's parameters strictly: JSON bodies and query values.

Credentials travel in the query string and POST bodies are JSON objects, as in the API family
this mirrors. Anything that cannot be read at all (not UTF-8, not JSON, not an object, too
large, a required field missing) is ``MalformedData`` (47001); a field that is there but of
the wrong type, out of range, or given twice is ``BadParameters`` (40097). Booleans are not
integers here, although Python says they are: ``"expire_type": true`` is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from miniport.platform.miniprogram_api.errors import BadParameters, MalformedData

MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_LENGTH = 4096
MAX_QUERY_FIELDS = 64
# Unicode categories Cc and Cs: C0/C1 controls and lone surrogates have no place in any field.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which of two equal keys wins; refusing both closes that gap.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BadParameters(f"invalid args: field {key} is repeated")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise MalformedData(f"data format error: {name} is not JSON")


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; raises ``MalformedData`` / ``BadParameters``."""
    if len(raw) > MAX_BODY_BYTES:
        raise MalformedData("data format error: body larger than 64 kB")
    if not raw.strip():
        raise MalformedData("data format error: empty body, expected a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedData("data format error: body is not UTF-8") from exc
    try:
        value = json.loads(
            text, object_pairs_hook=_no_duplicate_keys, parse_constant=_refuse_constant
        )
    except (ValueError, RecursionError) as exc:
        raise MalformedData("data format error: body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise MalformedData("data format error: body must be a JSON object")
    return value


def _clean_text(name: str, value: str, max_length: int) -> str:
    if len(value) > max_length:
        raise BadParameters(f"invalid args: {name} longer than {max_length} characters")
    if _CONTROL.search(value):
        raise BadParameters(f"invalid args: {name} contains control characters")
    return value


def text(body: Mapping[str, Any], name: str, *, max_length: int = MAX_TEXT_LENGTH) -> str | None:
    """An optional string field; ``None`` when absent or JSON ``null``."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadParameters(f"invalid args: {name} must be a string")
    return _clean_text(name, value, max_length)


def required_text(body: Mapping[str, Any], name: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    value = text(body, name, max_length=max_length)
    if value is None or value == "":
        raise MalformedData(f"data format error: missing {name}")
    return value


def integer(body: Mapping[str, Any], name: str) -> int | None:
    """An optional integer field (a JSON number without fraction, never a boolean)."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadParameters(f"invalid args: {name} must be an integer")
    if not -(2**53) <= value <= 2**53:
        raise BadParameters(f"invalid args: {name} is out of range")
    return value


def boolean(body: Mapping[str, Any], name: str, *, default: bool) -> bool:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadParameters(f"invalid args: {name} must be true or false")
    return value


def query_values(raw: bytes) -> dict[str, str]:
    """The query string, one value per parameter: a repeated one is ambiguous and refused."""
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_QUERY_FIELDS,
        )
    except UnicodeDecodeError as exc:  # before ValueError: it is one
        raise MalformedData("data format error: the query string is not UTF-8") from exc
    except ValueError as exc:
        raise BadParameters("invalid args: too many query parameters") from exc
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise BadParameters(f"invalid args: parameter {_clean_text('name', name, 64)} repeated")
        values[_clean_text("parameter name", name, 64)] = _clean_text(name, value, MAX_TEXT_LENGTH)
    return values
