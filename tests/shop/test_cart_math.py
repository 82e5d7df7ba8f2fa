"""The bag's arithmetic is in integer fen: totals are exact sums, quantities are capped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.shop.cart import MAX_QUANTITY, UnknownProduct, add, clear, set_quantity, view
from miniport.shop.catalog import Product, line_total, yuan
from miniport.shop.customers import upsert_customer


def _customer(session: Session) -> int:
    return upsert_customer(session, openid="o-cart", unionid=None, now=utcnow()).id


@pytest.mark.parametrize(
    ("cents", "shown"),
    [(1_950_000, "¥19,500"), (135_050, "¥1,350.50"), (5, "¥0.05"), (0, "¥0"), (-120, "-¥1.20")],
)
def test_yuan(cents: int, shown: str) -> None:
    assert yuan(cents) == shown


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=100))
def test_line_totals_are_exact(price: int, quantity: int) -> None:
    total = line_total(price, quantity)
    assert isinstance(total, int) and total == price * quantity


def test_line_totals_refuse_negative_values() -> None:
    with pytest.raises(ValueError):
        line_total(-1, 1)


def test_the_bag_total_is_the_sum_of_its_lines(shop_sessions: sessionmaker[Session]) -> None:
    with shop_sessions() as session:
        customer = _customer(session)
        add(session, customer_id=customer, product_id=1, quantity=1, now=utcnow())  # 19,500
        add(session, customer_id=customer, product_id=9, quantity=3, now=utcnow())  # 3 × 1,350
        add(session, customer_id=customer, product_id=1, quantity=1, now=utcnow())

        cart = view(session, customer_id=customer)

        assert [(item.product.id, item.quantity) for item in cart.items] == [(1, 2), (9, 3)]
        assert cart.total_cents == 2 * 1_950_000 + 3 * 135_000 == 4_305_000
        assert cart.count == 5
        assert yuan(cart.total_cents) == "¥43,050"


def test_quantities_are_capped_and_zero_removes(shop_sessions: sessionmaker[Session]) -> None:
    with shop_sessions() as session:
        customer = _customer(session)
        item = add(session, customer_id=customer, product_id=2, quantity=99, now=utcnow())
        assert item.quantity == MAX_QUANTITY
        set_quantity(session, customer_id=customer, product_id=2, quantity=2)
        assert view(session, customer_id=customer).count == 2
        set_quantity(session, customer_id=customer, product_id=2, quantity=0)
        assert view(session, customer_id=customer).empty


def test_unknown_products_are_refused(shop_sessions: sessionmaker[Session]) -> None:
    with shop_sessions() as session:
        customer = _customer(session)
        with pytest.raises(UnknownProduct):
            add(session, customer_id=customer, product_id=999, quantity=1, now=utcnow())


def test_retired_products_drop_out_of_the_bag(shop_sessions: sessionmaker[Session]) -> None:
    with shop_sessions() as session:
        customer = _customer(session)
        add(session, customer_id=customer, product_id=3, quantity=1, now=utcnow())
        product = session.get(Product, 3)
        assert product is not None
        product.active = False
        session.flush()
        assert view(session, customer_id=customer).empty
        clear(session, customer_id=customer)
