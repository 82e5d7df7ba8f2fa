"""Receiving the platform's webhooks: record each event once, and say if cards changed.

Verification (Standard Webhooks signature and timestamp) happens in the SDK before this
runs; what is left is deduplication by ``webhook-id`` and the check-cache epoch.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from miniport.host.mini_program_cards.models import PlatformEvent

# Events after which a card may look different: a port opened, closed, expired or staged,
# the whole host suspended or resumed, or a user's grant revoked.
CARD_EVENT_PREFIXES = ("port.", "host.")
CARD_EVENT_TYPES = frozenset({"grant.revoked"})
MAX_WEBHOOK_ID = 128


def changes_cards(event_type: str) -> bool:
    return event_type.startswith(CARD_EVENT_PREFIXES) or event_type in CARD_EVENT_TYPES


def record_event(session: Session, *, webhook_id: str, event_type: str, now: dt.datetime) -> bool:
    """Record a delivered event; ``False`` when this id was seen before (a redelivery).

    The unique ``webhook_id`` decides, so two workers receiving the same delivery at once
    still act on it only once.
    """
    if not webhook_id or len(webhook_id) > MAX_WEBHOOK_ID:
        raise ValueError("webhook-id must be 1 to 128 characters")
    try:
        with session.begin_nested():
            session.add(
                PlatformEvent(
                    webhook_id=webhook_id,
                    type=event_type[:64],
                    clears_cards=changes_cards(event_type),
                    received_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def card_epoch(session: Session) -> int:
    """The sequence number of the newest card-changing event (0 before any)."""
    value = session.scalar(
        select(func.max(PlatformEvent.seq)).where(PlatformEvent.clears_cards.is_(True))
    )
    return int(value or 0)
