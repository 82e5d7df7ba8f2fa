"""Mini-program entries on brand cards: user keys, batched and cached port checks, webhooks."""

from miniport.host.mini_program_cards.cache import CheckCache
from miniport.host.mini_program_cards.cards import (
    CardDirectory,
    MiniProgramEntry,
    entry_for,
    linked_items,
)
from miniport.host.mini_program_cards.user_key import user_key
from miniport.host.mini_program_cards.webhooks import card_epoch, changes_cards, record_event

__all__ = [
    "CardDirectory",
    "CheckCache",
    "MiniProgramEntry",
    "card_epoch",
    "changes_cards",
    "entry_for",
    "linked_items",
    "record_event",
    "user_key",
]
