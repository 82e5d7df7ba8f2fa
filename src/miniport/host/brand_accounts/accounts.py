"""Creating, finding and ranking brands' enterprise accounts."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.host.brand_accounts.models import BrandAccount
from miniport.host.search.index import ACCOUNT, normalize, put_document

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
APPID = re.compile(r"^wx[0-9a-f]{16}$")
MAX_ALIASES = 16


class BrandAccountError(ValueError):
    """Brand account data that cannot be stored."""


def check_mp_link(item: str | None, path: str | None) -> tuple[str | None, str | None]:
    """A mini-program link: an appid (with an optional page path) or an http(s) URL link."""
    if not item:
        return None, None
    item = item.strip()
    if APPID.fullmatch(item):
        if path is not None and not path.startswith("/"):
            raise BrandAccountError("a mini-program path starts with /")
        return item, path
    if item.startswith(("http://", "https://")) and len(item) <= 2048:
        # A URL link names its page itself; a separate path would only contradict it.
        return item, None
    raise BrandAccountError("a mini-program link is an appid (wx…) or a platform URL link")


def search_parts(account: BrandAccount) -> list[str]:
    # Names and aliases only: a bio mentioning another brand must not make this card lead
    # that brand's results.
    return [account.name_zh, account.name_en, account.slug, *account.aliases]


def create_brand_account(
    session: Session,
    *,
    slug: str,
    name_zh: str,
    name_en: str,
    aliases: Sequence[str] = (),
    bio_zh: str = "",
    bio_en: str = "",
    followers: int = 0,
    verified: bool = True,
    color: str = "#222222",
    monogram: str = "",
    mp_item: str | None = None,
    mp_path: str | None = None,
) -> BrandAccount:
    """Add an account and its searchable text (flushed, not committed)."""
    if not SLUG.fullmatch(slug):
        raise BrandAccountError(f"bad slug {slug!r}")
    if len(aliases) > MAX_ALIASES:
        raise BrandAccountError(f"at most {MAX_ALIASES} aliases")
    item, path = check_mp_link(mp_item, mp_path)
    account = BrandAccount(
        slug=slug,
        name_zh=name_zh,
        name_en=name_en,
        aliases=[alias.strip() for alias in aliases if alias.strip()],
        bio_zh=bio_zh,
        bio_en=bio_en,
        followers=followers,
        verified=verified,
        color=color,
        monogram=monogram or name_en[:1].upper(),
        mp_item=item,
        mp_path=path,
    )
    session.add(account)
    session.flush()
    put_document(session, kind=ACCOUNT, ref_id=account.id, parts=search_parts(account))
    return account


def set_mp_link(
    session: Session, account: BrandAccount, item: str | None, path: str | None = None
) -> None:
    """Attach (or with ``None`` remove) the account's mini-program link."""
    account.mp_item, account.mp_path = check_mp_link(item, path)
    session.flush()


def find_account(session: Session, slug: str) -> BrandAccount | None:
    return session.scalar(select(BrandAccount).where(BrandAccount.slug == slug))


def accounts_by_id(session: Session, ids: Sequence[int]) -> dict[int, BrandAccount]:
    if not ids:
        return {}
    rows = session.scalars(select(BrandAccount).where(BrandAccount.id.in_(ids)))
    return {account.id: account for account in rows}


def list_accounts(session: Session) -> list[BrandAccount]:
    return list(session.scalars(select(BrandAccount).order_by(BrandAccount.followers.desc())))


def names_exactly(account: BrandAccount, terms: Sequence[str]) -> bool:
    """Whether the query is one of the account's names or aliases (case and width aside)."""
    query = " ".join(terms)
    return any(normalize(name) == query for name in search_parts(account))


def rank_accounts(accounts: Sequence[BrandAccount], terms: Sequence[str]) -> list[BrandAccount]:
    """Accounts a query names exactly (a name or alias equal to it) first, then by followers.

    "LV" equals an alias of Louis Vuitton, so Louis Vuitton's card leads even if another
    account happens to contain the letters.
    """
    return sorted(
        accounts, key=lambda account: (not names_exactly(account, terms), -account.followers)
    )
