"""Reading the platform's answers: documented success shapes, or the documented exception.

Each face has its error format (see ``miniport.sdk.errors``):

- standards face: non-2xx with ``{"error", "error_description"}`` → ``OAuthError``;
- mini-program face: always HTTP 200; a non-zero ``errcode`` → ``ApiError`` (a non-200
  status means the request never reached the API: ``UnexpectedResponse``);
- ports API: non-2xx with ``{"error", "error_description"}`` → ``PortApiError``, except the
  token errors it shares with the standards face (``InvalidToken``, ``InsufficientScope``).

Success bodies are checked field by field: a missing or mistyped field is an
``UnexpectedResponse`` here rather than a ``KeyError`` deep in a partner's code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from miniport.sdk._tokens import Clock
from miniport.sdk.errors import (
    MiniportError,
    UnexpectedResponse,
    api_error,
    oauth_error,
    port_api_error,
)
from miniport.sdk.models import (
    Launch,
    MiniProgramCard,
    MiniProgramSession,
    PortCheck,
    ReportedOrder,
    TokenSet,
)

T = TypeVar("T")
# Token errors the ports API answers in the OAuth format (its bearer tokens are OAuth's).
_OAUTH_CODES_ON_PORTS = frozenset({"invalid_token", "insufficient_scope", "invalid_client"})


def _unexpected(response: httpx.Response, why: str) -> UnexpectedResponse:
    return UnexpectedResponse(
        f"{response.request.method} {response.request.url.path} answered "
        f"HTTP {response.status_code}: {why}",
        status_code=response.status_code,
        body=response.text,
    )


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise _unexpected(response, "the body is not JSON") from None


def _object(response: httpx.Response) -> dict[str, Any]:
    body = _json(response)
    if not isinstance(body, dict):
        raise _unexpected(response, "the body is not a JSON object")
    return body


def _field(response: httpx.Response, body: dict[str, Any], name: str, kind: type[T]) -> T:
    value = body.get(name)
    # bool is an int in Python, never in these documents.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _unexpected(response, f"field {name!r} is not a {kind.__name__}")
    return value


def _optional(response: httpx.Response, body: dict[str, Any], name: str, kind: type[T]) -> T | None:
    """A field that may be absent or null."""
    return None if body.get(name) is None else _field(response, body, name, kind)


def _is_success(response: httpx.Response) -> bool:
    return 200 <= response.status_code < 300


def _error_fields(response: httpx.Response) -> tuple[str, str | None] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return None
    description = body.get("error_description")
    return body["error"], description if isinstance(description, str) else None


# --- standards face ---------------------------------------------------------------------------


def _oauth_failure(response: httpx.Response) -> MiniportError:
    fields = _error_fields(response)
    if fields is None:
        return _unexpected(response, "not an OAuth error body")
    return oauth_error(fields[0], fields[1], response.status_code)


def oauth_object(response: httpx.Response) -> dict[str, Any]:
    if not _is_success(response):
        raise _oauth_failure(response)
    return _object(response)


def oauth_empty(response: httpx.Response) -> None:
    if not _is_success(response):
        raise _oauth_failure(response)


def discovery(response: httpx.Response) -> dict[str, Any]:
    body = oauth_object(response)
    for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        _field(response, body, name, str)
    return body


def key_set(response: httpx.Response) -> KeySet:
    body = oauth_object(response)
    try:
        return KeySet.import_key_set(body)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise _unexpected(response, f"not a JSON Web Key Set ({exc})") from exc


def token_set(clock: Clock) -> Callable[[httpx.Response], TokenSet]:
    """Parse a token response; ``expires_at`` is counted from ``clock()`` at arrival."""

    def parse(response: httpx.Response) -> TokenSet:
        body = oauth_object(response)
        expires_in = _field(response, body, "expires_in", int)
        details: list[Any] | None = _optional(response, body, "authorization_details", list)
        if details is not None and not all(isinstance(item, dict) for item in details):
            raise _unexpected(response, "authorization_details is not a list of objects")
        return TokenSet(
            access_token=_field(response, body, "access_token", str),
            token_type=_field(response, body, "token_type", str),
            expires_in=expires_in,
            expires_at=clock() + dt.timedelta(seconds=expires_in),
            scope=_optional(response, body, "scope", str) or "",
            refresh_token=_optional(response, body, "refresh_token", str),
            id_token=_optional(response, body, "id_token", str),
            authorization_details=list(details or []),
        )

    return parse


# --- ports API --------------------------------------------------------------------------------


def _ports_failure(response: httpx.Response) -> MiniportError:
    fields = _error_fields(response)
    if fields is None:
        return _unexpected(response, "not a ports API error body")
    error, description = fields
    if error in _OAUTH_CODES_ON_PORTS:
        return oauth_error(error, description, response.status_code)
    return port_api_error(error, description, response.status_code)


def ports_object(response: httpx.Response) -> dict[str, Any]:
    if not _is_success(response):
        raise _ports_failure(response)
    return _object(response)


def port_list(response: httpx.Response) -> list[dict[str, Any]]:
    """A listing (host's or brand's): its ``ports``."""
    body = ports_object(response)
    ports: list[Any] = _field(response, body, "ports", list)
    if not all(isinstance(port, dict) for port in ports):
        raise _unexpected(response, "ports is not a list of objects")
    return ports


@dataclass(frozen=True, slots=True)
class CheckAnswer:
    etag: str | None
    results: list[PortCheck] | None  # None: 304 Not Modified, reuse the cached results


def check_answer(response: httpx.Response) -> CheckAnswer:
    etag = response.headers.get("etag")
    if response.status_code == 304:
        return CheckAnswer(etag=etag, results=None)
    body = ports_object(response)
    results: list[Any] = _field(response, body, "results", list)
    return CheckAnswer(etag=etag, results=[_port_check(response, item) for item in results])


def _port_check(response: httpx.Response, item: object) -> PortCheck:
    if not isinstance(item, dict):
        raise _unexpected(response, "a check result is not an object")
    card: dict[str, Any] | None = _optional(response, item, "mini_program", dict)
    return PortCheck(
        item=_field(response, item, "item", str),
        appid=_optional(response, item, "appid", str),
        open=_field(response, item, "open", bool),
        reason=_field(response, item, "reason", str),
        path=_optional(response, item, "path", str),
        query=_optional(response, item, "query", str),
        mini_program=(
            MiniProgramCard(
                name_zh=_field(response, card, "name_zh", str),
                name_en=_field(response, card, "name_en", str),
                icon_url=_optional(response, card, "icon_url", str),
            )
            if card is not None
            else None
        ),
    )


# --- mini-program face ------------------------------------------------------------------------


def mp_object(response: httpx.Response) -> dict[str, Any]:
    """A success body without its ``errcode``/``errmsg``; a non-zero errcode raises."""
    if response.status_code != 200:
        raise _unexpected(response, "the mini-program API answers HTTP 200")
    body = _object(response)
    errcode = body.pop("errcode", 0)
    errmsg = body.pop("errmsg", "")
    if isinstance(errcode, bool) or not isinstance(errcode, int):
        raise _unexpected(response, "errcode is not an integer")
    if errcode != 0:
        raise api_error(errcode, errmsg if isinstance(errmsg, str) else "")
    return body


@dataclass(frozen=True, slots=True)
class IssuedToken:
    value: str
    expires_at: dt.datetime


def mp_access_token(clock: Clock) -> Callable[[httpx.Response], IssuedToken]:
    def parse(response: httpx.Response) -> IssuedToken:
        body = mp_object(response)
        expires_in = _field(response, body, "expires_in", int)
        return IssuedToken(
            value=_field(response, body, "access_token", str),
            expires_at=clock() + dt.timedelta(seconds=expires_in),
        )

    return parse


def code_session(response: httpx.Response) -> MiniProgramSession:
    body = mp_object(response)
    return MiniProgramSession(
        openid=_field(response, body, "openid", str),
        session_key=_field(response, body, "session_key", str),
        unionid=_optional(response, body, "unionid", str),
    )


def reported_order(response: httpx.Response) -> ReportedOrder:
    body = mp_object(response)
    return ReportedOrder(
        order_id=_field(response, body, "order_id", str),
        host_client_id=_optional(response, body, "host_client_id", str),
        duplicate=_field(response, body, "duplicate", bool),
    )


def launch(response: httpx.Response) -> Launch:
    body = mp_object(response)
    return Launch(
        launch_url=_field(response, body, "launch_url", str),
        code=_field(response, body, "code", str),
        expires_in=_field(response, body, "expires_in", int),
        scene=_field(response, body, "scene", int),
    )


def url_link(response: httpx.Response) -> str:
    body = mp_object(response)
    return _field(response, body, "url_link", str)


def url_link_info(response: httpx.Response) -> dict[str, Any]:
    body = mp_object(response)
    _field(response, body, "url_link_info", dict)
    return body
