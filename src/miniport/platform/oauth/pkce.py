"""RFC 7636 — Proof Key for Code Exchange, S256 only.

``plain`` is refused: it protects nothing once the authorization request is observed, and
every client we serve can compute SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from miniport.platform.oauth.errors import InvalidGrant, InvalidRequest

# RFC 7636 §4.1: 43-128 characters from the unreserved set.
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
# An S256 challenge is the base64url of a 32-byte digest: exactly 43 characters.
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")


def check_challenge(challenge: str | None, method: str | None) -> str:
    """Validate the authorization request's PKCE parameters; returns the challenge."""
    if not challenge:
        raise InvalidRequest("code_challenge is required (PKCE with S256)")
    if method != "S256":
        raise InvalidRequest("code_challenge_method must be S256")
    if not _CHALLENGE.fullmatch(challenge):
        raise InvalidRequest("code_challenge must be a base64url SHA-256 digest")
    return challenge


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def verify(verifier: str | None, challenge: str) -> None:
    """Check the token request's verifier against the stored challenge (§4.6)."""
    if not verifier:
        raise InvalidGrant("code_verifier is required")
    if not _VERIFIER.fullmatch(verifier):
        raise InvalidGrant("code_verifier is malformed")
    if not hmac.compare_digest(s256(verifier), challenge):
        raise InvalidGrant("code_verifier does not match the code_challenge")
