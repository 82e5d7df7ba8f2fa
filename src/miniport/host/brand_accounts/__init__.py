"""Brands' enterprise accounts: verified cards with aliases and an optional mini-program link."""

from miniport.host.brand_accounts.accounts import (
    BrandAccountError,
    accounts_by_id,
    check_mp_link,
    create_brand_account,
    find_account,
    list_accounts,
    names_exactly,
    rank_accounts,
    set_mp_link,
)
from miniport.host.brand_accounts.models import BrandAccount

__all__ = [
    "BrandAccount",
    "BrandAccountError",
    "accounts_by_id",
    "check_mp_link",
    "create_brand_account",
    "find_account",
    "list_accounts",
    "names_exactly",
    "rank_accounts",
    "set_mp_link",
]
