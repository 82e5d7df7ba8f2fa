"""Customers are keyed by openid and linked by unionid; sessions store only a digest."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.migrate import upgrade
from miniport.common.tokens import digest
from miniport.shop.customers import Customer, upsert_customer
from miniport.shop.sessions import ShopSession, current_session, end_session, start_session

HOUR = dt.timedelta(hours=1)


def test_one_customer_per_openid_and_the_unionid_follows(
    shop_sessions: sessionmaker[Session],
) -> None:
    with shop_sessions() as session:
        first = upsert_customer(session, openid="o-lin", unionid=None, now=utcnow())
        again = upsert_customer(session, openid="o-lin", unionid="u-lin", now=utcnow())
        assert first.id == again.id and again.unionid == "u-lin"
        other = upsert_customer(session, openid="o-wang", unionid="u-wang", now=utcnow())
        assert other.id != first.id


def test_sessions_store_a_digest_and_expire(shop_sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with shop_sessions() as session:
        customer = upsert_customer(session, openid="o-lin", unionid="u", now=now)
        value = start_session(
            session,
            customer_id=customer.id,
            code_digest=digest("code-1"),
            entry_scene=1069,
            entry_host="xiaohongshu",
            entry_path="/pages/index",
            now=now,
            lifetime=HOUR,
        )
        stored = session.scalars(select(ShopSession)).one()
        assert stored.digest == digest(value) and value not in stored.digest

        live = current_session(session, value, now)
        assert live is not None and live.customer_id == customer.id
        assert (live.entry_scene, live.entry_host) == (1069, "xiaohongshu")
        assert current_session(session, value, now + HOUR) is None
        assert current_session(session, "not-a-session", now) is None
        assert current_session(session, "x" * 500, now) is None
        end_session(session, value)
        assert current_session(session, value, now) is None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade("shop", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_racing_first_entries_of_one_person_make_one_customer(empty_shop: Engine) -> None:
    sessions = make_sessionmaker(empty_shop)
    start = threading.Barrier(5)

    def enter(_: int) -> int:
        start.wait()
        with sessions() as session, session.begin():
            return upsert_customer(session, openid="o-twin", unionid="u", now=utcnow()).id

    with ThreadPoolExecutor(max_workers=5) as pool:
        ids = set(pool.map(enter, range(5)))

    assert len(ids) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 1
