"""OIDC Core §2 and §3.1.3.6 — the ID token, signed with the platform's active key."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib

from joserfc import jwt

from miniport.platform.keys.keyring import Keyring

ID_TOKEN_LIFETIME = dt.timedelta(minutes=10)


def at_hash(access_token: str) -> str:
    """Left half of SHA-256 of the access token, base64url (RS256 and ES256 both use SHA-256)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode("ascii").rstrip("=")


def build(
    keyring: Keyring,
    *,
    issuer: str,
    subject: str,
    audience: str,
    alg: str,
    auth_time: dt.datetime,
    nonce: str | None,
    access_token: str | None,
    now: dt.datetime,
) -> str:
    claims: dict[str, object] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience,
        "azp": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ID_TOKEN_LIFETIME).timestamp()),
        "auth_time": int(auth_time.timestamp()),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    if access_token is not None:
        claims["at_hash"] = at_hash(access_token)
    kid, key = keyring.signing_key(alg)
    return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, claims, key, algorithms=[alg])
