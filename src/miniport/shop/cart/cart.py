"""The cart: add, change, remove, and the priced view checkout and the cart page share.

Quantities are capped per line (luxury stores limit how many of one piece a customer may
buy); every amount is integer fen, so the total is exactly the sum of its lines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from miniport.shop.cart.models import CartLine
from miniport.shop.catalog.catalog import get_product
from miniport.shop.catalog.models import Product
from miniport.shop.catalog.money import line_total

MAX_QUANTITY = 5
MAX_LINES = 20


class CartError(Exception):
    """A cart change that cannot be made."""


class UnknownProduct(CartError):
    pass


class CartFull(CartError):
    pass


@dataclass(frozen=True, slots=True)
class CartItem:
    product: Product
    quantity: int

    @property
    def total_cents(self) -> int:
        return line_total(self.product.price_cents, self.quantity)


@dataclass(frozen=True, slots=True)
class CartView:
    items: tuple[CartItem, ...]

    @property
    def total_cents(self) -> int:
        return sum(item.total_cents for item in self.items)

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)

    @property
    def empty(self) -> bool:
        return not self.items


def _clamp(quantity: int) -> int:
    return max(1, min(MAX_QUANTITY, quantity))


def add(
    session: Session, *, customer_id: int, product_id: int, quantity: int, now: dt.datetime
) -> CartItem:
    """Add ``quantity`` of a product (flushed); the line never exceeds ``MAX_QUANTITY``."""
    product = get_product(session, product_id)
    if product is None:
        raise UnknownProduct(f"no product {product_id} for sale")
    line = session.get(CartLine, (customer_id, product_id))
    if line is None:
        lines = session.scalars(
            select(CartLine.product_id).where(CartLine.customer_id == customer_id)
        ).all()
        if len(lines) >= MAX_LINES:
            raise CartFull(f"the cart holds at most {MAX_LINES} different pieces")
        line = CartLine(
            customer_id=customer_id, product_id=product_id, quantity=_clamp(quantity), added_at=now
        )
        session.add(line)
    else:
        line.quantity = _clamp(line.quantity + quantity)
    session.flush()
    return CartItem(product=product, quantity=line.quantity)


def set_quantity(session: Session, *, customer_id: int, product_id: int, quantity: int) -> None:
    """Set a line's quantity; zero or less removes it (flushed)."""
    if quantity <= 0:
        remove(session, customer_id=customer_id, product_id=product_id)
        return
    line = session.get(CartLine, (customer_id, product_id))
    if line is not None:
        line.quantity = _clamp(quantity)
        session.flush()


def remove(session: Session, *, customer_id: int, product_id: int) -> None:
    session.execute(
        delete(CartLine).where(
            CartLine.customer_id == customer_id, CartLine.product_id == product_id
        )
    )


def clear(session: Session, *, customer_id: int) -> None:
    session.execute(delete(CartLine).where(CartLine.customer_id == customer_id))


def view(session: Session, *, customer_id: int) -> CartView:
    """The cart with current prices; products no longer for sale drop out of it."""
    rows = session.execute(
        select(Product, CartLine.quantity)
        .join(CartLine, CartLine.product_id == Product.id)
        .where(CartLine.customer_id == customer_id, Product.active.is_(True))
        .order_by(CartLine.added_at, Product.id)
    ).all()
    return CartView(items=tuple(CartItem(product=p, quantity=q) for p, q in rows))
