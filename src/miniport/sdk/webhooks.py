"""Verifying the platform's webhooks (Standard Webhooks: ``webhook-id``,
``webhook-timestamp``, ``webhook-signature``; HMAC-SHA256 with the partner's ``whsec_``
secret).

Pass the raw body bytes exactly as received: a parsed and re-serialised body no longer
matches its signature. A delivery more than five minutes from the receiver's clock is
refused, which is what stops an old delivery being replayed; deduplicate redeliveries of
one event on ``WebhookEvent.id``.
"""

from __future__ import annotations

import binascii
import datetime as dt
from collections.abc import Mapping
from typing import Any

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook
from standardwebhooks.webhooks import WebhookVerificationError as SignatureError

from miniport.sdk.errors import WebhookVerificationError
from miniport.sdk.models import WebhookEvent


def verify_webhook(secret: str, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    """The event of an authentic delivery; raises ``WebhookVerificationError`` otherwise.

    ``headers`` may be any mapping (a framework's case-insensitive headers or a plain
    dict). A ``secret`` that is not a ``whsec_`` value raises ``ValueError``: that is a
    configuration mistake, not a forged delivery.
    """
    try:
        webhook = Webhook(secret)
    except (binascii.Error, ValueError, EmptyWebhookSecretError) as exc:
        raise ValueError("the webhook secret is not a whsec_ value") from exc
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        payload: Any = webhook.verify(body, lowered)
    except SignatureError as exc:
        raise WebhookVerificationError(str(exc)) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        # A malformed signature header (no "v1," part, bad base64) or a body not UTF-8.
        raise WebhookVerificationError(f"malformed webhook: {exc}") from exc
    return _event(lowered["webhook-id"], payload)


def _event(event_id: str, payload: Any) -> WebhookEvent:
    """The signed payload ``{"type", "timestamp", "data"}`` as an event."""
    if not isinstance(payload, dict):
        raise WebhookVerificationError("the signed payload is not a JSON object")
    event_type, timestamp, data = payload.get("type"), payload.get("timestamp"), payload.get("data")
    if not isinstance(event_type, str) or not isinstance(data, dict):
        raise WebhookVerificationError("the signed payload is not a miniport event")
    try:
        moment = dt.datetime.fromisoformat(timestamp) if isinstance(timestamp, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise WebhookVerificationError("the signed payload has no ISO 8601 timestamp")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return WebhookEvent(id=event_id, type=event_type, timestamp=moment, data=data)
