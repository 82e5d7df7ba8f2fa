"""What a brand account's card shows: the mini-program entry, or the plain account card.

The entry is shown only on the platform's say-so (an ``open`` check result carrying a
mini-program card); anything else, including no answer at all, is the plain card, exactly
as it looked before any port existed. Failing closed is deliberate: showing an entry the
platform has not allowed would send the user into an authorization that is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from miniport.host.brand_accounts.models import BrandAccount
from miniport.host.mini_program_cards.cache import CheckCache
from miniport.host.platform_api import PortChecker
from miniport.sdk.errors import MiniportError
from miniport.sdk.models import PortCheck

log = logging.getLogger(__name__)

DEFAULT_PATH = "/pages/index"
# The platform answers at most this many items per check.
MAX_ITEMS_PER_CHECK = 100


@dataclass(frozen=True, slots=True)
class MiniProgramEntry:
    """The entry on a card: enough to draw it and to open it."""

    appid: str
    path: str
    query: str
    name_zh: str
    name_en: str
    icon_url: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") or not self.name_en else self.name_en


def entry_for(account: BrandAccount, result: PortCheck | None) -> MiniProgramEntry | None:
    """The entry to show for ``account`` given its check result, or ``None`` (plain card)."""
    if result is None or result.open is not True or not result.appid:
        return None
    card = result.mini_program
    if card is None:
        return None
    return MiniProgramEntry(
        appid=result.appid,
        path=result.path or account.mp_path or DEFAULT_PATH,
        query=result.query or "",
        name_zh=card.name_zh,
        name_en=card.name_en,
        icon_url=card.icon_url or "",
    )


def linked_items(accounts: Iterable[BrandAccount]) -> list[str]:
    """The distinct check items (appids or URL links) of the accounts that carry a link."""
    items: list[str] = []
    for account in accounts:
        if account.mp_item and account.mp_item not in items:
            items.append(account.mp_item)
    return items


class CardDirectory:
    """Answers "which of these cards carry the entry for this user", one check per page."""

    def __init__(self, checker: PortChecker, cache: CheckCache) -> None:
        self._checker = checker
        self.cache = cache

    def check(self, user_key: str, items: Sequence[str]) -> dict[str, PortCheck]:
        """Check results by item: cached ones, plus one platform call for the rest.

        An unreachable or failing platform yields no results for the missing items (so
        their cards are plain), and is logged.
        """
        snapshot = self.cache.lookup(user_key, items)
        results = dict(snapshot.found)
        missing = [item for item in items if item not in results]
        for start in range(0, len(missing), MAX_ITEMS_PER_CHECK):
            batch = missing[start : start + MAX_ITEMS_PER_CHECK]
            try:
                answered = list(self._checker.check(user_key=user_key, items=batch))
            except MiniportError as error:
                log.warning("port check failed, showing plain cards: %s", error)
                continue
            self.cache.store(user_key, answered, generation=snapshot.generation)
            results.update((result.item, result) for result in answered)
        return results

    def entries(
        self, user_key: str | None, accounts: Sequence[BrandAccount]
    ) -> Mapping[int, MiniProgramEntry]:
        """The entry per account id, for the accounts whose card should carry one."""
        items = linked_items(accounts)
        if user_key is None or not items:
            return {}
        results = self.check(user_key, items)
        entries: dict[int, MiniProgramEntry] = {}
        for account in accounts:
            if account.mp_item:
                entry = entry_for(account, results.get(account.mp_item))
                if entry is not None:
                    entries[account.id] = entry
        return entries
