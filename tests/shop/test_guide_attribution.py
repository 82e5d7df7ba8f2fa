"""A guide's share link credits that guide with the customer's later orders."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.common.tokens import new_secret
from miniport.shop.cart import add
from miniport.shop.customers import upsert_customer
from miniport.shop.guides import Guide, attribute, find_guide, guide_of
from miniport.shop.orders import EntrySource, Fulfilment, Handover, place_order
from tests.shop.conftest import Launcher, Shopper, hidden, shown


def _order(session: Session, customer_id: int) -> int | None:
    add(session, customer_id=customer_id, product_id=2, quantity=1, now=utcnow())
    placed = place_order(
        session,
        customer_id=customer_id,
        idempotency_key=new_secret(),
        handover=Handover(Fulfilment.PICKUP, boutique_id=1),
        source=EntrySource(scene=1069, host=None),
        number_prefix="GC",
        now=utcnow(),
    )
    return placed.order.guide_id


def test_orders_after_the_link_carry_the_guide_and_the_latest_link_wins(
    shop_sessions: sessionmaker[Session],
) -> None:
    with shop_sessions() as session:
        customer = upsert_customer(session, openid="o-lin", unionid=None, now=utcnow()).id
        assert _order(session, customer) is None  # before any link: no guide

        lin = find_guide(session, "GC-SH-LINYUE")
        wang = find_guide(session, "GC-BJ-WANGSY")
        assert lin is not None and wang is not None
        attribute(session, customer_id=customer, guide=lin, now=utcnow())
        assert _order(session, customer) == lin.id

        attribute(session, customer_id=customer, guide=wang, now=utcnow())
        assert _order(session, customer) == wang.id
        assert guide_of(session, customer) == wang


def test_share_codes_are_checked_before_any_lookup(shop_sessions: sessionmaker[Session]) -> None:
    with shop_sessions() as session:
        assert find_guide(session, None) is None
        assert find_guide(session, "x") is None
        assert find_guide(session, "GC-SH-LINYUE' OR 1=1 --") is None
        assert find_guide(session, "GC-XX-NOBODY") is None
        assert len(session.scalars(select(Guide)).all()) == 6


def test_the_share_link_in_the_store_attributes_the_next_order(entered: Shopper) -> None:
    page = entered.get("/g/GC-CD-LIUYN")
    assert page.status_code == 200
    assert 'data-testid="guide-attributed"' in page.text
    entered.add_to_cart(7)
    checkout = entered.get("/checkout")
    assert "刘一诺" in checkout.text

    placed = entered.post(
        "/orders",
        checkout,
        idempotency_key=hidden(checkout, "idempotency_key"),
        fulfilment="pickup",
        boutique_id="3",
    )
    order = entered.get(placed.headers["location"])

    assert shown(order, "order-guide") == "刘一诺"


def test_a_link_opened_before_entering_counts_once_the_customer_enters(
    shopper: Shopper, launcher: Launcher
) -> None:
    before = shopper.get("/g/GC-BJ-CHENRL")
    assert before.status_code == 200
    assert "shop_gucci_guide=GC-BJ-CHENRL" in before.headers["set-cookie"]

    entry = shopper.enter(launcher.launch_url())

    assert entry.status_code == 303
    assert 'shop_gucci_guide=""' in entry.headers["set-cookie"]  # spent
    me = shopper.get("/me")
    assert "陈若琳" in me.text


def test_an_unknown_guide_link_says_so(shopper: Shopper) -> None:
    response = shopper.get("/g/NOBODY-HERE")
    assert response.status_code == 404
