"""The documented response shapes, and a checker that compares a result with one.

A shape is written like the JSON it describes:

- a type (or a tuple of types): ``isinstance``, with ``bool`` never passing for ``int``;
- a dict ``{"field": shape}``: exactly these fields (a name ending in ``?`` may be absent);
  ``AtLeast({...})`` allows more fields;
- a one-element list ``[shape]``: a list whose every element has that shape;
- ``Maybe(shape)``: ``None`` or that shape.

Dataclass results (``TokenSet``, ``PortCheck``, …) are compared field by field the same way.

Sources: the platform's docstrings for each endpoint (``miniprogram_api.launch``,
``…jscode2session``, ``…urllink``, ``…orders``, ``…credentials``, ``ports.api``, ``ports.check``,
``oauth.introspect``, ``oauth.userinfo``, ``oauth.discovery``), docs/api.md, and the API family
reference in ``../shared/reference/miniprogram-api-shapes.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Maybe:
    inner: Any


@dataclass(frozen=True)
class AtLeast:
    fields: dict[str, Any]


def mismatches(value: Any, shape: Any, where: str = "$") -> list[str]:
    """Every way ``value`` differs from ``shape`` (empty when it matches)."""
    if isinstance(shape, Maybe):
        return [] if value is None else mismatches(value, shape.inner, where)
    if isinstance(shape, AtLeast):
        return _fields(value, shape.fields, where, exact=False)
    if isinstance(shape, dict):
        return _fields(value, shape, where, exact=True)
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        return [
            problem
            for index, item in enumerate(value)
            for problem in mismatches(item, shape[0], f"{where}[{index}]")
        ]
    kinds = shape if isinstance(shape, tuple) else (shape,)
    if isinstance(value, bool) and bool not in kinds:
        return [f"{where}: expected {_names(kinds)}, got bool"]
    if not isinstance(value, kinds):
        return [f"{where}: expected {_names(kinds)}, got {type(value).__name__} {value!r:.60}"]
    return []


def _names(kinds: tuple[type, ...]) -> str:
    return " or ".join(kind.__name__ for kind in kinds)


def _as_mapping(value: Any) -> dict[str, Any] | None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    return value if isinstance(value, dict) else None


def _fields(value: Any, fields: dict[str, Any], where: str, *, exact: bool) -> list[str]:
    mapping = _as_mapping(value)
    if mapping is None:
        return [f"{where}: expected an object, got {type(value).__name__}"]
    problems: list[str] = []
    names = {name.rstrip("?") for name in fields}
    if exact and set(mapping) - names:
        problems.append(f"{where}: undocumented fields {sorted(set(mapping) - names)}")
    for name, inner in fields.items():
        key = name.rstrip("?")
        if key not in mapping:
            if not name.endswith("?"):
                problems.append(f"{where}: missing field {key!r}")
            continue
        problems.extend(mismatches(mapping[key], inner, f"{where}.{key}"))
    return problems


# --- the standards face ---------------------------------------------------------------------

DISCOVERY = AtLeast(
    {
        "issuer": str,
        "authorization_endpoint": str,
        "token_endpoint": str,
        "userinfo_endpoint": str,
        "jwks_uri": str,
        "introspection_endpoint": str,
        "revocation_endpoint": str,
        "scopes_supported": [str],
        "response_types_supported": [str],
        "grant_types_supported": [str],
        "subject_types_supported": [str],
        "id_token_signing_alg_values_supported": [str],
        "token_endpoint_auth_methods_supported": [str],
        "code_challenge_methods_supported": [str],
        "authorization_response_iss_parameter_supported": bool,
        "authorization_details_types_supported": [str],
    }
)
AUTHORIZATION_START = {
    "url": str,
    "state": str,
    "nonce": str,
    "code_verifier": str,
    "redirect_uri": str,
    "appid": str,
    "path": str,
}
RUN_DETAIL = {"type": str, "appid": str, "path": str}
USER_TOKEN_SET = {
    "access_token": str,
    "token_type": str,
    "expires_in": int,
    "expires_at": dt.datetime,
    "scope": str,
    "refresh_token": str,
    "id_token": str,
    "authorization_details": [RUN_DETAIL],
}
# Refreshing keeps the grant; an ID token comes back only when the platform issues one.
REFRESHED_TOKEN_SET = {**USER_TOKEN_SET, "id_token": Maybe(str)}
ID_TOKEN_CLAIMS = {
    "iss": str,
    "sub": str,
    "aud": str,
    "azp": str,
    "iat": int,
    "exp": int,
    "auth_time": int,
    "nonce": str,
    "at_hash": str,
}
AUTHORIZATION_RESULT = {"tokens": USER_TOKEN_SET, "claims": ID_TOKEN_CLAIMS}
USERINFO = {"sub": str}
INTROSPECTION_ACTIVE = {
    "active": bool,
    "scope": str,
    "client_id": str,
    "token_type": str,
    "exp": int,
    "iat": int,
    "iss": str,
    "aud": str,
    "sub?": str,
    "authorization_details?": [RUN_DETAIL],
}
INTROSPECTION_INACTIVE = {"active": bool}

# --- the ports API ----------------------------------------------------------------------------

CARD = {"name_zh": str, "name_en": str, "icon_url": Maybe(str)}
PORT_CHECK = {
    "item": str,
    "appid": Maybe(str),
    "open": bool,
    "reason": str,
    "path": Maybe(str),
    "query": Maybe(str),
    "mini_program": Maybe(CARD),
}
TRANSITION = {
    "from_state": Maybe(str),
    "to_state": str,
    "actor": {"kind": str, "id?": str},
    "reason_category": str,
    "reason": str,
    "at": str,
}
STAGING = {
    "rollout_percent": int,
    "allow_list": [str],
    "trial_ends_at": Maybe(str),
    "daily_launch_quota": Maybe(int),
}
PORT = {
    "id": int,
    "client_id": str,
    "appid": str,
    "state": str,
    "host_suspended": bool,
    "request_reason": str,
    "staging": STAGING,
    "version": int,
    "created_at": str,
    "updated_at": str,
    "last_transition": Maybe(TRANSITION),
}
PORT_DETAIL = {**PORT, "history": [TRANSITION]}
BRAND_PORT = {**PORT, "host": {"name_zh": str, "name_en": str}}
POLICY = {"appid": str, "policy": str}

# --- the mini-program face --------------------------------------------------------------------

LAUNCH = {"launch_url": str, "code": str, "expires_in": int, "scene": int}
SESSION = {"openid": str, "session_key": str, "unionid": Maybe(str)}
REPORTED_ORDER = {"order_id": str, "host_client_id": Maybe(str), "duplicate": bool}
URL_LINK_INFO = {
    "url_link_info": {
        "appid": str,
        "path": str,
        "query": str,
        "create_time": int,
        "expire_time": int,
        "env_version": str,
    }
}
