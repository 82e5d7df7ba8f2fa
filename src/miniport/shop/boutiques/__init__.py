"""The brand's boutiques (city, address, hours)."""

from miniport.shop.boutiques.boutiques import (
    CHINA_TIME,
    get_boutique,
    list_boutiques,
    local_now,
    opening_slots,
    parse_hour,
)
from miniport.shop.boutiques.models import Boutique

__all__ = [
    "CHINA_TIME",
    "Boutique",
    "get_boutique",
    "list_boutiques",
    "local_now",
    "opening_slots",
    "parse_hour",
]
