"""Standard Webhooks signing: partner secrets and the three headers every delivery carries.

A partner verifies a delivery with any Standard Webhooks library (``standardwebhooks`` in
Python) given the ``whsec_…`` secret it received when its webhook URL was registered.

Why the secret is stored usable, while client secrets and mini-program secrets are stored
only as digests: those are credentials a partner *presents to us*, so a digest is all we
need to check them. A webhook signature is an HMAC that *we compute*; HMAC needs the key
itself, so the platform must be able to read it: it is stored encrypted at rest
(``miniport.platform.atrest``) and opened only to sign a delivery. It is shown to people
only when it is created or rotated, never by ``show`` or ``list``.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105  (the format's fixed prefix, not a secret)
# The spec asks for 24 to 64 random bytes; 32 gives a full-strength HMAC-SHA256 key.
SECRET_BYTES = 32


def new_webhook_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes (the Standard Webhooks secret format)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signed_headers(secret: str, *, message_id: str, body: str, at: dt.datetime) -> dict[str, str]:
    """The ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers for ``body``.

    ``at`` must be the real time of sending: receivers refuse timestamps more than five
    minutes from their own clock, which is what stops an old delivery being replayed.
    """
    moment = at.astimezone(dt.UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
    }
