"""OpenID Connect on the host's side, without I/O: the authorization request (PKCE S256,
state, nonce, RFC 9396 details) and ID token verification (OIDC Core §3.1.3.7).

The clients fetch what these functions need (discovery, JWKS) and call them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlencode

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from miniport.sdk.errors import AuthorizationResponseError, IdTokenError
from miniport.sdk.models import AuthorizationStart

RUN_TYPE = "miniprogram_run"
# Asymmetric algorithms only: "none" and HMAC (keyed with the client secret) are refused
# whatever the token's header says (algorithm confusion).
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
_AT_HASH_DIGESTS = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
# Clock skew tolerated between the platform and the host when checking exp and iat.
LEEWAY_SECONDS = 60


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def code_challenge(code_verifier: str) -> str:
    """RFC 7636 §4.2, S256."""
    return _b64url(hashlib.sha256(code_verifier.encode("ascii")).digest())


def start_authorization(
    authorization_endpoint: str,
    *,
    client_id: str,
    redirect_uri: str,
    appid: str,
    path: str,
    scope: str,
    prompt: str | None,
    login_hint: str | None,
) -> AuthorizationStart:
    """A fresh authorization request to run ``appid`` at ``path``.

    ``state`` and ``nonce`` carry 256 random bits each; the PKCE verifier 384 (64 characters,
    within RFC 7636's 43 to 128).
    """
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": code_challenge(code_verifier),
        "code_challenge_method": "S256",
        "authorization_details": json.dumps(
            [{"type": RUN_TYPE, "appid": appid, "path": path}], separators=(",", ":")
        ),
    }
    if prompt is not None:
        params["prompt"] = prompt
    if login_hint is not None:
        params["login_hint"] = login_hint
    return AuthorizationStart(
        url=f"{authorization_endpoint}?{urlencode(params)}",
        state=state,
        nonce=nonce,
        code_verifier=code_verifier,
        redirect_uri=redirect_uri,
        appid=appid,
        path=path,
    )


def same_secret(expected: str, given: str | None) -> bool:
    """Constant-time comparison: ``state`` is a CSRF secret, so do not leak how much matched."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def check_response_state(expected: str | None, returned: str | None) -> None:
    if expected is not None and not same_secret(expected, returned):
        raise AuthorizationResponseError(
            "state does not match this authorization request (possible CSRF); do not use the code"
        )


def check_response_issuer(issuer: str, returned: str | None, *, required: bool) -> None:
    """RFC 9207 §2.4: the ``iss`` of the redirect back must be the expected issuer."""
    if returned is None:
        if required:
            raise AuthorizationResponseError(
                "the authorization response carries no iss although the platform sends one"
            )
        return
    if returned != issuer:
        raise AuthorizationResponseError(
            f"the authorization response comes from {returned!r}, not {issuer!r} "
            "(possible mix-up attack); do not use the code"
        )


def unverified_header(id_token: str) -> dict[str, Any]:
    """The JOSE header, read before the signature is checked (to pick the key)."""
    try:
        header = jws.extract_compact(id_token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise IdTokenError(f"the ID token is not a compact JWS: {exc}") from exc
    return dict(header)


def has_key(keys: KeySet, kid: object) -> bool:
    return isinstance(kid, str) and any(key.kid == kid for key in keys.keys)


def at_hash(access_token: str, alg: str) -> str:
    """OIDC Core §3.1.3.6: the left half of the hash of the access token, base64url."""
    digest = _AT_HASH_DIGESTS.get(alg[-3:])
    if digest is None:
        raise IdTokenError(f"no at_hash rule for algorithm {alg}")
    value = digest(access_token.encode("ascii")).digest()
    return _b64url(value[: len(value) // 2])


def verify_id_token(
    id_token: str,
    *,
    keys: KeySet,
    algorithms: Collection[str],
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The claims of a valid ID token; raises ``IdTokenError`` for any failed check."""
    header = unverified_header(id_token)
    alg = header.get("alg")
    allowed = sorted(ASYMMETRIC_ALGORITHMS.intersection(algorithms))
    if not isinstance(alg, str) or alg not in allowed:
        raise IdTokenError(f"the ID token's algorithm {alg!r} is not one of {allowed}")
    try:
        token = jwt.decode(id_token, keys, algorithms=[alg])
    except (JoseError, ValueError) as exc:
        raise IdTokenError(f"the ID token's signature does not verify: {exc}") from exc
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise IdTokenError(f"the ID token's claims are not valid: {exc}") from exc
    _check_authorized_party(claims, client_id)
    if access_token is not None:
        expected = at_hash(access_token, alg)
        given = claims.get("at_hash")
        if not isinstance(given, str) or not hmac.compare_digest(expected, given):
            raise IdTokenError("the ID token's at_hash does not match the access token")
    return claims


def _check_authorized_party(claims: Mapping[str, Any], client_id: str) -> None:
    """OIDC Core §3.1.3.7 (4, 5): with several audiences, ``azp`` must name this client."""
    audience = claims.get("aud")
    azp = claims.get("azp")
    several = isinstance(audience, list) and len(audience) > 1
    if (several or azp is not None) and azp != client_id:
        raise IdTokenError("the ID token was issued to another client (azp)")
