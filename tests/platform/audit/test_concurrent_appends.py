"""Concurrent appends never fork the chain: on PostgreSQL an advisory lock serialises them,
on SQLite ``BEGIN IMMEDIATE`` does."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.migrate import upgrade
from miniport.platform.audit.chain import append, verify

WRITERS = 8
EACH = 10


def _hammer(sessions: sessionmaker[Session]) -> None:
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for n in range(EACH):
                with sessions() as session, session.begin():
                    append(
                        session, actor_kind="system", actor_id=f"w{writer}", action="test.race",
                        target_kind="port", target_id=str(n), at=utcnow(),
                    )  # fmt: skip
        except BaseException as error:  # noqa: BLE001  (reported below, in the test thread)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    with sessions() as session:
        result = verify(session)
    assert result.ok and result.checked == WRITERS * EACH, result.describe()


@pytest.mark.postgres
def test_concurrent_appends_on_postgresql(postgres_url: str) -> None:
    upgrade("platform", postgres_url)
    engine = make_engine(postgres_url)
    try:
        _hammer(make_sessionmaker(engine))
    finally:
        engine.dispose()


def test_concurrent_appends_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    upgrade("platform", url)
    engine = make_engine(url)
    try:
        _hammer(make_sessionmaker(engine))
    finally:
        engine.dispose()
