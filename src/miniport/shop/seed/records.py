"""The shape of a store's demo data: plain frozen records, turned into rows by ``seeding``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CategorySeed:
    slug: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class ProductSeed:
    sku: str
    category: str
    name_zh: str
    name_en: str
    yuan: int
    material_zh: str
    material_en: str
    description_zh: str
    description_en: str
    shape: str
    body: str
    trim: str
    pattern: str = "plain"


@dataclass(frozen=True, slots=True)
class GuideSeed:
    name_zh: str
    name_en: str
    title_zh: str
    title_en: str
    share_code: str


@dataclass(frozen=True, slots=True)
class BoutiqueSeed:
    slug: str
    name_zh: str
    name_en: str
    city_zh: str
    city_en: str
    address_zh: str
    address_en: str
    opens_at: str
    closes_at: str
    phone: str
    guides: tuple[GuideSeed, GuideSeed]


@dataclass(frozen=True, slots=True)
class StoreSeed:
    categories: Sequence[CategorySeed]
    products: Sequence[ProductSeed]
    boutiques: Sequence[BoutiqueSeed]
