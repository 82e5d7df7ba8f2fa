"""One checkout key, one order: on retries, and when requests race (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.tokens import new_secret
from miniport.shop.cart import add
from miniport.shop.customers import upsert_customer
from miniport.shop.orders import (
    EmptyCart,
    EntrySource,
    Fulfilment,
    Handover,
    InvalidKey,
    Order,
    OrderLine,
    place_order,
)
from miniport.shop.orders import orders as orders_module
from miniport.shop.seed import seed_database

PICKUP = Handover(Fulfilment.PICKUP, boutique_id=1)
FROM_APP = EntrySource(scene=1069, host=None)


def _place(session: Session, customer_id: int, key: str) -> tuple[str, bool]:
    placed = place_order(
        session,
        customer_id=customer_id,
        idempotency_key=key,
        handover=PICKUP,
        source=FROM_APP,
        number_prefix="GC",
        now=utcnow(),
    )
    return placed.order.number, placed.created


def _shopper_with_bag(sessions: sessionmaker[Session], openid: str = "o-1") -> int:
    with sessions() as session, session.begin():
        customer = upsert_customer(session, openid=openid, unionid="u-1", now=utcnow())
        add(session, customer_id=customer.id, product_id=1, quantity=1, now=utcnow())
        add(session, customer_id=customer.id, product_id=6, quantity=2, now=utcnow())
        return customer.id


def _orders(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Order)) or 0)


def test_the_same_key_twice_is_one_order(shop_sessions: sessionmaker[Session]) -> None:
    customer = _shopper_with_bag(shop_sessions)
    key = new_secret()
    with shop_sessions() as session, session.begin():
        first = _place(session, customer, key)
    with shop_sessions() as session, session.begin():
        second = _place(session, customer, key)

    assert first[1] is True and second == (first[0], False)
    assert _orders(shop_sessions) == 1
    with shop_sessions() as session:
        order = session.scalars(select(Order)).one()
        lines = session.scalars(select(OrderLine).order_by(OrderLine.id)).all()
    assert order.total_cents == 1_950_000 + 2 * 360_000
    assert sum(line.line_total_cents for line in lines) == order.total_cents
    assert order.item_count == 3 and order.entry_scene == 1069


def test_another_key_with_an_empty_bag_places_nothing(shop_sessions: sessionmaker[Session]) -> None:
    customer = _shopper_with_bag(shop_sessions)
    with shop_sessions() as session, session.begin():
        _place(session, customer, new_secret())
    with shop_sessions() as session, pytest.raises(EmptyCart):
        _place(session, customer, new_secret())


def test_malformed_keys_are_refused(shop_sessions: sessionmaker[Session]) -> None:
    customer = _shopper_with_bag(shop_sessions)
    with shop_sessions() as session:
        for key in ("", "short", "x" * 65, "spaces are not allowed here"):
            with pytest.raises(InvalidKey):
                _place(session, customer, key)


def test_keys_belong_to_one_customer(shop_sessions: sessionmaker[Session]) -> None:
    first = _shopper_with_bag(shop_sessions, "o-1")
    second = _shopper_with_bag(shop_sessions, "o-2")
    key = new_secret()
    with shop_sessions() as session, session.begin():
        mine = _place(session, first, key)
    with shop_sessions() as session, session.begin():
        theirs = _place(session, second, key)
    assert mine[0] != theirs[0] and theirs[1] is True


def test_a_race_the_lookup_missed_returns_the_winners_order(
    shop_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unique constraint catches what the first lookup could not see."""
    customer = _shopper_with_bag(shop_sessions)
    key = new_secret()
    with shop_sessions() as session, session.begin():
        winner, _ = _place(session, customer, key)
    with shop_sessions() as session, session.begin():
        add(session, customer_id=customer, product_id=2, quantity=1, now=utcnow())
    real_lookup = orders_module._by_key
    calls: list[str] = []

    def blind_first(session: Session, customer_id: int, idempotency_key: str) -> Order | None:
        calls.append(idempotency_key)
        return None if len(calls) == 1 else real_lookup(session, customer_id, idempotency_key)

    monkeypatch.setattr(orders_module, "_by_key", blind_first)
    with shop_sessions() as session, session.begin():
        loser = _place(session, customer, key)

    assert loser == (winner, False)
    assert len(calls) == 2 and _orders(shop_sessions) == 1
    with shop_sessions() as session:
        assert session.scalar(select(func.count()).select_from(OrderLine)) == 2


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_shop_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    seed_database(url, instance="gucci")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_racing_requests_with_one_key_make_one_order(any_shop_engine: Engine) -> None:
    sessions = make_sessionmaker(any_shop_engine)
    customer = _shopper_with_bag(sessions)
    key = new_secret()
    start = threading.Barrier(6)

    def attempt(_: int) -> tuple[str, bool]:
        start.wait()
        with sessions() as session, session.begin():
            return _place(session, customer, key)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(attempt, range(6)))

    assert len({number for number, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert _orders(sessions) == 1
