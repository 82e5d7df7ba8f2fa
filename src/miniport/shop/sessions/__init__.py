"""Customers, shop sessions and the entry that starts them from a platform launch code."""

from miniport.shop.sessions.entry import (
    INDEX_PAGE,
    MINI_PROGRAM_PAGES,
    CodeExchanger,
    Entered,
    EntryRequest,
    MalformedEntry,
    enter,
    is_local,
    page_url,
)
from miniport.shop.sessions.models import ShopSession
from miniport.shop.sessions.sessions import (
    CurrentSession,
    current_session,
    end_session,
    start_session,
)

__all__ = [
    "INDEX_PAGE",
    "MINI_PROGRAM_PAGES",
    "CodeExchanger",
    "CurrentSession",
    "Entered",
    "EntryRequest",
    "MalformedEntry",
    "ShopSession",
    "current_session",
    "end_session",
    "enter",
    "is_local",
    "page_url",
    "start_session",
]
