"""Partner webhooks: an outbox written with each change, signed delivery with retries.

``outbox`` records events in the caller's transaction; ``delivery`` sends them (Standard
Webhooks signatures from ``signing``) at least once, retrying with backoff for up to a day.
"""

from miniport.platform.webhooks.delivery import (
    DeliveryNotFound,
    DeliveryState,
    DeliveryView,
    WebhookWorker,
    deliver_due,
    list_deliveries,
    resend,
    resend_event,
    retry_delay,
)
from miniport.platform.webhooks.outbox import EVENT_TYPES, enqueue, enqueue_grant_revoked
from miniport.platform.webhooks.signing import new_webhook_secret, signed_headers

__all__ = [
    "EVENT_TYPES",
    "DeliveryNotFound",
    "DeliveryState",
    "DeliveryView",
    "WebhookWorker",
    "deliver_due",
    "enqueue",
    "enqueue_grant_revoked",
    "list_deliveries",
    "new_webhook_secret",
    "resend",
    "resend_event",
    "retry_delay",
    "signed_headers",
]
