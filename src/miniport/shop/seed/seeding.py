"""Filling a fresh store with its demo data (``gucci`` or ``louis-vuitton``).

Prices are in fen (CNY cents) and in the range the brands charged in mainland China. The
boutique addresses are written for the demo: real cities and shopping streets, not a
directory of the brands' actual stores. Product pictures are drawn from each product's
``art_*`` fields (``miniport.shop.catalog.artwork``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniport.common.db import make_engine, make_sessionmaker, unit_of_work
from miniport.common.migrate import upgrade
from miniport.shop.boutiques.models import Boutique
from miniport.shop.catalog.models import Category, Product
from miniport.shop.guides.models import Guide
from miniport.shop.seed.gucci import GUCCI
from miniport.shop.seed.louis_vuitton import LOUIS_VUITTON
from miniport.shop.seed.records import StoreSeed


class AlreadySeeded(RuntimeError):
    """The store already has a catalog; seeding twice would duplicate it."""


STORES: dict[str, StoreSeed] = {"gucci": GUCCI, "louis-vuitton": LOUIS_VUITTON}


@dataclass(frozen=True, slots=True)
class SeedSummary:
    instance: str
    categories: int
    products: int
    boutiques: int
    guides: int
    guide_codes: tuple[str, ...]  # for the demo's walk-through: /g/<code>


def seed_shop(session: Session, *, instance: str) -> SeedSummary:
    """Fill an empty store with ``instance``'s data (flushed; the caller commits)."""
    try:
        store = STORES[instance]
    except KeyError:
        raise ValueError(f"unknown shop instance {instance!r}; known: {sorted(STORES)}") from None
    if session.scalar(select(func.count()).select_from(Product)):
        raise AlreadySeeded("this store already has products")
    categories: dict[str, Category] = {}
    for position, seed in enumerate(store.categories):
        category = Category(
            slug=seed.slug, name_zh=seed.name_zh, name_en=seed.name_en, position=position
        )
        session.add(category)
        categories[seed.slug] = category
    session.flush()
    for position, item in enumerate(store.products):
        session.add(
            Product(
                sku=item.sku,
                category_id=categories[item.category].id,
                name_zh=item.name_zh,
                name_en=item.name_en,
                description_zh=item.description_zh,
                description_en=item.description_en,
                material_zh=item.material_zh,
                material_en=item.material_en,
                price_cents=item.yuan * 100,
                art_shape=item.shape,
                art_body=item.body,
                art_trim=item.trim,
                art_pattern=item.pattern,
                position=position,
                active=True,
            )
        )
    codes: list[str] = []
    for position, place in enumerate(store.boutiques):
        boutique = Boutique(
            slug=place.slug,
            name_zh=place.name_zh,
            name_en=place.name_en,
            city_zh=place.city_zh,
            city_en=place.city_en,
            address_zh=place.address_zh,
            address_en=place.address_en,
            opens_at=place.opens_at,
            closes_at=place.closes_at,
            phone=place.phone,
            position=position,
        )
        session.add(boutique)
        session.flush()
        for guide in place.guides:
            session.add(
                Guide(
                    boutique_id=boutique.id,
                    name_zh=guide.name_zh,
                    name_en=guide.name_en,
                    title_zh=guide.title_zh,
                    title_en=guide.title_en,
                    share_code=guide.share_code,
                )
            )
            codes.append(guide.share_code)
    session.flush()
    return SeedSummary(
        instance=instance,
        categories=len(store.categories),
        products=len(store.products),
        boutiques=len(store.boutiques),
        guides=len(codes),
        guide_codes=tuple(codes),
    )


def seed_database(database_url: str, *, instance: str) -> SeedSummary:
    """Migrate the store's database to the newest schema and seed it (committed)."""
    upgrade("shop", database_url)
    engine = make_engine(database_url)
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            return seed_shop(session, instance=instance)
    finally:
        engine.dispose()
