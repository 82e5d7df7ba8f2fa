"""Random credentials, their stored digests, and constant-time comparison.

Every code, token and secret miniport hands out is a 256-bit random value; only its SHA-256
digest is stored. A slow password hash would add nothing for values with that much entropy
and would make every token call slow, so argon2 is kept for human passwords only.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random value (default 256 bits)."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """The SHA-256 hex digest under which a secret value is stored."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def same_secret(presented: str, stored_digest: str) -> bool:
    """Whether ``presented`` hashes to ``stored_digest``.

    Compared with ``hmac.compare_digest`` so that response timing reveals nothing about how
    many leading characters of the digest matched.
    """
    return hmac.compare_digest(digest(presented), stored_digest)


def keyed_digest(key: bytes, *parts: str) -> bytes:
    """HMAC-SHA256 over ``parts`` joined unambiguously (length-prefixed)."""
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode("utf-8")
        mac.update(len(data).to_bytes(4, "big"))
        mac.update(data)
    return mac.digest()
