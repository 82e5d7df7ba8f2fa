"""``Prepared`` runs Core statements on the DB-API cursor; what it stores and reads must be
exactly what Core's own ``execute`` stores and reads, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    exc,
    insert,
    select,
    update,
)

from miniport.common.db import UTCDateTime, make_engine
from miniport.common.prepared import Prepared

METADATA = MetaData()
THINGS = Table(
    "things",
    METADATA,
    Column("key", String(32), primary_key=True),
    Column("count", Integer),
    Column("flag", Boolean),
    Column("at", UTCDateTime),
    Column("done_at", UTCDateTime, nullable=True),
)
INSERT = Prepared(
    insert(THINGS).values(
        key=bindparam("key"),
        count=bindparam("count"),
        flag=bindparam("flag"),
        at=bindparam("at"),
        done_at=bindparam("done_at"),
    )
)
READ = Prepared(
    select(THINGS.c.count, THINGS.c.flag, THINGS.c.at, THINGS.c.done_at).where(
        THINGS.c.key == bindparam("key")
    )
)
# The same parameter twice, and parameters in another order than the columns.
FINISH = Prepared(
    update(THINGS)
    .where(
        THINGS.c.key == bindparam("key"),
        THINGS.c.done_at.is_(None),
        THINGS.c.at < bindparam("now"),
        THINGS.c.count < bindparam("limit"),
    )
    .values(done_at=bindparam("now"), count=THINGS.c.count + 1)
)
AT = dt.datetime(2026, 12, 3, 8, 30, 15, 123456, tzinfo=dt.UTC)
# An aware time in another zone: stored as UTC, as the column type says.
AT_ELSEWHERE = AT.astimezone(dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'prepared.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def _row(key: str, *, flag: bool = True, at: dt.datetime = AT) -> dict[str, object]:
    return {"key": key, "count": 3, "flag": flag, "at": at, "done_at": None}


def test_rows_written_by_prepared_read_back_as_core_writes_them(engine: Engine) -> None:
    with engine.begin() as connection:
        INSERT.many(connection, [_row("prepared", at=AT_ELSEWHERE), _row("flag-off", flag=False)])
        connection.execute(THINGS.insert(), _row("core", at=AT_ELSEWHERE))
    with engine.connect() as connection:
        core = connection.execute(select(THINGS).order_by(THINGS.c.key)).all()
        by_key = {row.key: tuple(row)[1:] for row in core}
        # Prepared's reads equal Core's reads of the same rows, types converted alike.
        assert READ.first(connection, {"key": "prepared"}) == by_key["prepared"]
        assert READ.first(connection, {"key": "core"}) == by_key["core"]
        assert READ.first(connection, {"key": "flag-off"}) == by_key["flag-off"]
        assert READ.first(connection, {"key": "missing"}) is None
    count, flag, at, done_at = by_key["prepared"]
    assert (count, flag, done_at) == (3, True, None) and by_key["flag-off"][1] is False
    assert at == AT and at.tzinfo is not None and at.utcoffset() == dt.timedelta(0)


def test_rowcount_and_parameters_used_twice(engine: Engine) -> None:
    later = AT + dt.timedelta(minutes=1)
    with engine.begin() as connection:
        INSERT.many(connection, [_row("a"), _row("b")])
        assert FINISH.rowcount(connection, {"key": "a", "now": later, "limit": 10}) == 1
        # The condition now fails (done_at is set): nothing changes.
        assert FINISH.rowcount(connection, {"key": "a", "now": later, "limit": 10}) == 0
        assert FINISH.rowcount(connection, {"key": "b", "now": later, "limit": 3}) == 0
    with engine.connect() as connection:
        assert READ.first(connection, {"key": "a"}) == (4, True, AT, later)


def test_it_runs_in_the_connections_transaction(engine: Engine) -> None:
    with engine.connect() as connection:
        transaction = connection.begin()
        INSERT.many(connection, [_row("rolled-back")])
        assert READ.first(connection, {"key": "rolled-back"}) is not None
        transaction.rollback()
    with engine.connect() as connection:
        assert READ.first(connection, {"key": "rolled-back"}) is None


def test_driver_errors_are_raised_as_sqlalchemy_errors(engine: Engine) -> None:
    with engine.begin() as connection:
        INSERT.many(connection, [_row("dup")])
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        INSERT.many(connection, [_row("dup")])


def test_constants_in_the_statement_are_used_and_parameters_are_required(
    engine: Engine,
) -> None:
    with engine.begin() as connection:
        INSERT.many(connection, [_row("literal")])
    with engine.connect() as connection:
        constant = Prepared(select(THINGS.c.count).where(THINGS.c.key == "literal"))
        assert constant.first(connection, {}) == (3,)
        with pytest.raises(KeyError):
            READ.first(connection, {})
        expanding = Prepared(
            select(THINGS.c.count).where(THINGS.c.key.in_(bindparam("keys", expanding=True)))
        )
        with pytest.raises(ValueError, match="plain bound parameters"):
            expanding.first(connection, {"keys": ["a"]})


def test_a_begin_on_a_locked_sqlite_database_raises_sqlalchemys_error(tmp_path: Path) -> None:
    # Every SQLite transaction begins on the driver's cursor (``common.db``); a refusal must
    # still arrive as SQLAlchemy's OperationalError, which the APIs answer as "busy, retry".
    engine = make_engine(f"sqlite:///{tmp_path / 'locked.db'}")
    try:
        with engine.connect() as holder, engine.connect() as other:
            holder.begin()  # BEGIN IMMEDIATE: holds the write lock
            cursor = other.connection.cursor()
            cursor.execute("PRAGMA busy_timeout=0")  # give up at once instead of waiting
            cursor.close()
            with pytest.raises(exc.OperationalError, match="locked"):
                other.begin()
    finally:
        engine.dispose()
