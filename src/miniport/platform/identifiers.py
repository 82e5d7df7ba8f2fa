"""Pairwise identifiers: openid per (user, mini program), unionid per (user, brand), host sub.

Each is a keyed hash (HMAC-SHA256) of the platform's identifier secret, so ids are stable
across restarts and processes, need no lookup table, and cannot be linked across mini
programs, brands or hosts by anyone without the secret.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from miniport.common.tokens import keyed_digest


def _encode(prefix: str, raw: bytes) -> str:
    # 21 bytes → 28 base64url characters, the length partners already size columns for.
    return prefix + base64.urlsafe_b64encode(raw[:21]).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class IdentifierDeriver:
    key: bytes

    def openid(self, *, user_id: int, appid: str) -> str:
        return _encode("o", keyed_digest(self.key, "openid", str(user_id), appid))

    def unionid(self, *, user_id: int, brand_id: int) -> str:
        return _encode("u", keyed_digest(self.key, "unionid", str(user_id), str(brand_id)))

    def host_subject(self, *, user_id: int, client_id: str) -> str:
        return _encode("s", keyed_digest(self.key, "host-sub", str(user_id), client_id))
