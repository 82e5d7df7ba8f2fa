"""Brand cards on pages: which accounts carry the mini-program entry for this visitor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from miniport.host.accounts.sessions import SignedIn
from miniport.host.brand_accounts.models import BrandAccount
from miniport.host.mini_program_cards.cards import MiniProgramEntry, entry_for, linked_items
from miniport.host.mini_program_cards.webhooks import card_epoch
from miniport.host.runtime import HostRuntime
from miniport.sdk.models import PortCheck


def entries_for_page(
    runtime: HostRuntime,
    db: Session,
    signin: SignedIn | None,
    accounts: Sequence[BrandAccount],
) -> Mapping[int, MiniProgramEntry]:
    """One batched, cached check for every card on the page; none for signed-out visitors.

    The platform stages rollouts per user, so without a signed-in user there is no key to
    ask about, and the plain card is what the platform would want shown.
    """
    if signin is None or not linked_items(accounts):
        return {}
    # Catch up with card-changing webhooks another worker received.
    runtime.cards.cache.sync_epoch(card_epoch(db))
    return runtime.cards.entries(runtime.user_key(signin.user_id), accounts)


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    """The account whose card links ``appid``, and what the platform said about it."""

    account: BrandAccount
    result: PortCheck | None
    entry: MiniProgramEntry | None


def account_linking(
    runtime: HostRuntime,
    db: Session,
    *,
    user_id: int,
    appid: str,
    accounts: Sequence[BrandAccount],
) -> LinkedAccount | None:
    """The card that links ``appid`` for this user (URL links are resolved by the check)."""
    linked = [account for account in accounts if account.mp_item]
    if not linked:
        return None
    runtime.cards.cache.sync_epoch(card_epoch(db))
    results = runtime.cards.check(runtime.user_key(user_id), linked_items(linked))
    for account in linked:
        assert account.mp_item is not None
        result = results.get(account.mp_item)
        if account.mp_item == appid or (result is not None and result.appid == appid):
            return LinkedAccount(account, result, entry_for(account, result))
    return None
