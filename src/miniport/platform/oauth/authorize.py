"""RFC 6749 §4.1.1–4.1.2 with OIDC Core §3.1.2 — the authorization request and response.

Validation happens in two stages because they fail differently: while the client and its
redirect URI are unverified, an error must be shown to the user (``UntrustedRedirect``);
once both are verified, every other error goes back to the client as a redirect carrying
``error``, ``state`` and ``iss`` (RFC 9207).

A validated request travels between the sign-in page, the consent page and back as a sealed
value (HMAC-signed, time-limited), so any worker can continue it without shared state.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from hashlib import sha256
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from miniport.common.tokens import digest, new_secret
from miniport.platform.oauth import authorization_details, pkce
from miniport.platform.oauth.errors import (
    AccessDenied,
    InvalidRequest,
    InvalidScope,
    OAuthError,
    RequestNotSupported,
    RequestUriNotSupported,
    UnsupportedResponseType,
    UntrustedRedirect,
)
from miniport.platform.oauth.models import AuthorizationCode
from miniport.platform.ports.decision import PortSnapshot, decide_port
from miniport.platform.registry.lookup import find_host_app
from miniport.platform.registry.models import HostApp

CODE_LIFETIME = dt.timedelta(seconds=60)
SEALED_REQUEST_LIFETIME = dt.timedelta(minutes=10)
SUPPORTED_SCOPES = frozenset({"openid", "miniprogram"})
SUPPORTED_PROMPTS = frozenset({"none", "login", "consent"})
MAX_PARAMETER_LENGTH = 2048

Params = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str | None
    nonce: str | None
    code_challenge: str
    prompt: tuple[str, ...]
    max_age: int | None
    login_hint: str | None
    details: tuple[dict[str, str], ...]
    created_at: float

    @property
    def appids(self) -> list[str]:
        return authorization_details.appids_of(list(self.details))


def _single(params: Params, name: str) -> str | None:
    """One value of a parameter; RFC 6749 §3.1 forbids repeating any parameter."""
    values = params.get(name) or []
    if len(values) > 1:
        raise InvalidRequest(f"{name} must not be repeated")
    if not values:
        return None
    value = values[0]
    if len(value) > MAX_PARAMETER_LENGTH:
        raise InvalidRequest(f"{name} is too long")
    return value


def trusted_client(session: Session, params: Params) -> tuple[HostApp, str]:
    """The registered client and its exactly matching redirect URI, or ``UntrustedRedirect``.

    The redirect URI is compared as an exact string: no normalisation of case, trailing
    slashes, ports or query, because any leniency has let attackers register look-alike
    paths that receive codes.
    """
    try:
        client_id = _single(params, "client_id")
        redirect_uri = _single(params, "redirect_uri")
    except InvalidRequest as exc:
        raise UntrustedRedirect(exc.description) from exc
    if not client_id:
        raise UntrustedRedirect("client_id is missing")
    host = find_host_app(session, client_id)
    if host is None:
        raise UntrustedRedirect("unknown client_id")
    if not redirect_uri:
        raise UntrustedRedirect("redirect_uri is missing")
    if redirect_uri not in host.redirect_uris:
        raise UntrustedRedirect("redirect_uri is not registered for this client")
    return host, redirect_uri


def parse_request(
    session: Session, host: HostApp, redirect_uri: str, params: Params, *, now: dt.datetime
) -> AuthorizationRequest:
    """Validate everything after the client and redirect URI (errors go back by redirect)."""
    if _single(params, "request") is not None:
        raise RequestNotSupported("request objects are not supported")
    if _single(params, "request_uri") is not None:
        raise RequestUriNotSupported("request_uri is not supported")
    response_type = _single(params, "response_type")
    if response_type != "code":
        raise UnsupportedResponseType("only response_type=code is supported")
    response_mode = _single(params, "response_mode")
    if response_mode not in (None, "query"):
        raise InvalidRequest("only response_mode=query is supported")
    scope = tuple(dict.fromkeys((_single(params, "scope") or "").split()))
    if "openid" not in scope:
        raise InvalidScope("scope must include openid")
    unknown = set(scope) - SUPPORTED_SCOPES
    if unknown:
        raise InvalidScope(f"unsupported scope: {' '.join(sorted(unknown))}")
    challenge = pkce.check_challenge(
        _single(params, "code_challenge"), _single(params, "code_challenge_method")
    )
    prompt = tuple((_single(params, "prompt") or "").split())
    if set(prompt) - SUPPORTED_PROMPTS:
        raise InvalidRequest("prompt must be none, login or consent")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other values")
    max_age_raw = _single(params, "max_age")
    max_age: int | None = None
    if max_age_raw is not None:
        # ASCII digits only: ``isdigit`` alone takes "²", which ``int`` then refuses.
        if not (max_age_raw.isascii() and max_age_raw.isdigit()) or len(max_age_raw) > 10:
            raise InvalidRequest("max_age must be a non-negative integer")
        max_age = int(max_age_raw)
    details = authorization_details.parse(_single(params, "authorization_details"))
    if details and "miniprogram" not in scope:
        raise InvalidScope("authorization_details of type miniprogram_run need scope miniprogram")
    if "miniprogram" in scope and not details:
        raise InvalidRequest("scope miniprogram needs authorization_details naming the appid")
    authorization_details.validate(session, details)
    return AuthorizationRequest(
        client_id=host.client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=_single(params, "state"),
        nonce=_single(params, "nonce"),
        code_challenge=challenge,
        prompt=prompt,
        max_age=max_age,
        login_hint=_single(params, "login_hint"),
        details=tuple(detail.as_dict() for detail in details),
        created_at=now.timestamp(),
    )


def check_ports(snapshot: PortSnapshot, request: AuthorizationRequest, *, now: dt.datetime) -> None:
    """Refuse to authorize a run the platform would not launch: every port must be open."""
    for appid in request.appids:
        decision = decide_port(snapshot, client_id=request.client_id, appid=appid, now=now)
        if not decision.open:
            raise AccessDenied(
                f"the platform does not allow this host app to run {appid} ({decision.reason})"
            )


def state_of(params: Params) -> str | None:
    """``state`` for an error redirect even when the rest of the request was malformed."""
    values = params.get("state") or []
    return values[0] if len(values) == 1 and len(values[0]) <= MAX_PARAMETER_LENGTH else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal(request: AuthorizationRequest, key: bytes) -> str:
    payload = _b64(json.dumps(asdict(request), separators=(",", ":")).encode())
    mac = hmac.new(key, b"authorize-request:" + payload.encode(), sha256).digest()
    return f"{payload}.{_b64(mac)}"


def unseal(sealed: str, key: bytes, *, now: dt.datetime) -> AuthorizationRequest:
    """The request a sealed value carries; refuses tampered or stale values."""
    try:
        payload, mac = sealed.split(".")
        expected = hmac.new(key, b"authorize-request:" + payload.encode(), sha256).digest()
        if not hmac.compare_digest(_unb64(mac), expected):
            raise ValueError("bad signature")
        data = json.loads(_unb64(payload))
        data["scope"] = tuple(data["scope"])
        data["prompt"] = tuple(data["prompt"])
        data["details"] = tuple(data["details"])
        request = AuthorizationRequest(**data)
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidRequest("the authorization request is invalid; start again") from exc
    if now.timestamp() - request.created_at > SEALED_REQUEST_LIFETIME.total_seconds():
        raise InvalidRequest("the authorization request has expired; start again")
    return request


def issue_code(
    session: Session,
    request: AuthorizationRequest,
    *,
    user_id: int,
    auth_time: dt.datetime,
    now: dt.datetime,
) -> str:
    """Store a fresh single-use code (its digest only) and return the code itself."""
    code = new_secret()
    session.add(
        AuthorizationCode(
            digest=digest(code),
            family=new_secret(16),
            client_id=request.client_id,
            user_id=user_id,
            redirect_uri=request.redirect_uri,
            code_challenge=request.code_challenge,
            scope=" ".join(request.scope),
            authorization_details=list(request.details),
            nonce=request.nonce,
            auth_time=auth_time,
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    session.flush()
    return code


def _append_query(uri: str, params: dict[str, str]) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def success_redirect(request: AuthorizationRequest, *, code: str, issuer: str) -> str:
    params = {"code": code}
    if request.state is not None:
        params["state"] = request.state
    params["iss"] = issuer  # RFC 9207: lets the client detect mix-up attacks
    return _append_query(request.redirect_uri, params)


def error_redirect(redirect_uri: str, error: OAuthError, *, state: str | None, issuer: str) -> str:
    params = error.as_dict()
    if state is not None:
        params["state"] = state
    params["iss"] = issuer
    return _append_query(redirect_uri, params)
