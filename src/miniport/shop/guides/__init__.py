"""Shopping guides and order attribution through their share links."""

from miniport.shop.guides.guides import (
    SHARE_CODE,
    attribute,
    find_guide,
    get_guide,
    guide_of,
    guides_of,
)
from miniport.shop.guides.models import Guide

__all__ = [
    "SHARE_CODE",
    "Guide",
    "attribute",
    "find_guide",
    "get_guide",
    "guide_of",
    "guides_of",
]
