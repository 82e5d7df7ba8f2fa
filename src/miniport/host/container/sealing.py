"""Encrypting the secrets the host keeps for its users (run tickets, PKCE verifiers).

AES-256-GCM with a key derived from the host's token secret. Each value is sealed with
associated data naming what it is and whose it is (``context``), so a sealed run ticket
copied into another user's row, or into a verifier column, fails to open rather than
being used in the wrong place.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from miniport.common.tokens import keyed_digest

_VERSION = "v1"
_NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value that does not open with this key and context."""


class Sealer:
    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(keyed_digest(secret, "miniport-host-sealing", _VERSION))

    def seal(self, value: str, *, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), context.encode("utf-8"))
        return _VERSION + "." + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, sealed: str, *, context: str) -> str:
        version, _, payload = sealed.partition(".")
        if version != _VERSION:
            raise SealError("unknown sealing version")
        try:
            raw = base64.urlsafe_b64decode(payload)
            plain = self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8")
            )
        except (InvalidTag, ValueError) as error:
            raise SealError("the value does not open with this key and context") from error
        return plain.decode("utf-8")
