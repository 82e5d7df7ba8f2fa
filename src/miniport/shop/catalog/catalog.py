"""Reading the catalog: categories in order, a category's products, one product."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniport.shop.catalog.models import Category, Product

MAX_ID = 2_147_483_647


def categories(session: Session) -> list[tuple[Category, int]]:
    """Every category with how many active products it holds, in display order."""
    counts = (
        select(Product.category_id, func.count().label("n"))
        .where(Product.active.is_(True))
        .group_by(Product.category_id)
        .subquery()
    )
    rows = session.execute(
        select(Category, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.position, Category.id)
    ).all()
    return [(category, int(count)) for category, count in rows]


def get_category(session: Session, category_id: int) -> Category | None:
    if not 0 < category_id <= MAX_ID:
        return None
    return session.get(Category, category_id)


def products(session: Session, *, category_id: int | None = None) -> list[Product]:
    """Active products in display order, optionally of one category."""
    query = select(Product).where(Product.active.is_(True))
    if category_id is not None:
        query = query.where(Product.category_id == category_id)
    return list(session.scalars(query.order_by(Product.position, Product.id)))


def get_product(session: Session, product_id: int) -> Product | None:
    """An active product; retired products are not for sale and not shown."""
    if not 0 < product_id <= MAX_ID:
        return None
    product = session.get(Product, product_id)
    return product if product is not None and product.active else None


def products_by_ids(session: Session, ids: Sequence[int]) -> dict[int, Product]:
    if not ids:
        return {}
    found = session.scalars(select(Product).where(Product.id.in_(list(ids))))
    return {product.id: product for product in found}


def related(session: Session, product: Product, *, limit: int = 4) -> list[Product]:
    """Other products of the same category, for "You may also like"."""
    return list(
        session.scalars(
            select(Product)
            .where(
                Product.active.is_(True),
                Product.category_id == product.category_id,
                Product.id != product.id,
            )
            .order_by(Product.position, Product.id)
            .limit(limit)
        )
    )
