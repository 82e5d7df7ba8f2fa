"""The opaque key the platform knows a host user by, before and after consent.

The platform stages rollouts by this key (``check``) and must see the same key at launch,
so it is a pure function of the user id; it is keyed with a host secret so the platform
(or anyone reading its logs) cannot recover or enumerate host user ids from it, and two
host apps' keys for their users never coincide.
"""

from __future__ import annotations

import base64

from miniport.common.tokens import keyed_digest

_LABEL = "miniport-host-user-key"


def user_key(secret: bytes, user_id: int) -> str:
    mac = keyed_digest(secret, _LABEL, str(user_id))
    return "u_" + base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")
