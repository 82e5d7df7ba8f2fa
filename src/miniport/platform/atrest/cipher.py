"""Encryption at rest for the secrets the platform must keep usable (AES-256-GCM).

Signing keys' private JWKs and partner webhook secrets cannot be stored as digests: the
platform signs with them. They are stored sealed under a key from the settings
(``MINIPORT_PLATFORM_DATA_KEY``), as ``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``:

- the key id says which configured key sealed a value, so the current key and earlier ones
  can be configured together (the current one seals, every one opens) while
  ``miniport keys reencrypt`` moves old values to the current key; the id is a keyed digest
  of the key and tells nothing about it;
- every value is sealed with associated data naming its column and its row (``context``),
  so a value copied into another row, or another column, does not open.

A value that does not open is a configuration problem (a wrong or missing key), so the
error is a ``SettingsError``: the server refuses to start and commands fail with one line.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from miniport.common.settings import SettingsError
from miniport.common.tokens import keyed_digest

_VERSION = "v1"
_NONCE_BYTES = 12
_KEY_ID_CHARS = 12
_SEALED = re.compile(rf"^{_VERSION}\.(?P<key_id>[0-9a-f]{{{_KEY_ID_CHARS}}})\.(?P<payload>.+)$")
KEY_SETTINGS = "MINIPORT_PLATFORM_DATA_KEY (or MINIPORT_PLATFORM_DATA_KEY_PREVIOUS)"


class AtRestKeyError(SettingsError):
    """A stored value the configured at-rest keys cannot open, or a key that cannot be used."""


def key_id(secret: str) -> str:
    """The public name of an at-rest key, as written in front of every value it seals."""
    return keyed_digest(secret.encode("utf-8"), "miniport-at-rest-key-id").hex()[:_KEY_ID_CHARS]


def sealed_key_id(value: str) -> str | None:
    """The key id a stored value was sealed with; ``None`` for a value that is not sealed."""
    match = _SEALED.match(value)
    return match["key_id"] if match else None


def _associated_data(context: str) -> bytes:
    return f"{_VERSION}\n{context}".encode()


class DataCipher:
    """Seals with the first key given and opens with any of them."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise AtRestKeyError("no at-rest key configured")
        self._keys: dict[str, AESGCM] = {}
        for secret in secrets:
            aead = AESGCM(keyed_digest(secret.encode("utf-8"), "miniport-at-rest", _VERSION))
            self._keys.setdefault(key_id(secret), aead)
        self.current_key_id = key_id(secrets[0])

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every configured key's id, the current one first."""
        return tuple(self._keys)

    def seal(self, value: str, *, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        aead = self._keys[self.current_key_id]
        sealed = aead.encrypt(nonce, value.encode("utf-8"), _associated_data(context))
        payload = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{_VERSION}.{self.current_key_id}.{payload}"

    def open(self, stored: str, *, context: str) -> str:
        match = _SEALED.match(stored)
        if match is None:
            raise AtRestKeyError(
                f"{context} is not encrypted at rest; run: miniport db upgrade platform"
            )
        aead = self._keys.get(match["key_id"])
        if aead is None:
            raise AtRestKeyError(
                f"{context} was encrypted with at-rest key {match['key_id']}, which is not "
                f"configured (configured: {', '.join(self._keys)}); set {KEY_SETTINGS} to "
                "the key it was written with"
            )
        try:
            raw = base64.urlsafe_b64decode(match["payload"])
            plain = aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _associated_data(context))
        except (InvalidTag, ValueError) as error:
            raise AtRestKeyError(
                f"{context} does not decrypt with at-rest key {match['key_id']}: the stored "
                "value was altered or copied from another row"
            ) from error
        return plain.decode("utf-8")

    def is_current(self, stored: str) -> bool:
        """Whether ``stored`` is sealed with the current key (nothing for reencrypt to do)."""
        return sealed_key_id(stored) == self.current_key_id
