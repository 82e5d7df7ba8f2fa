"""Engines, sessions and the declarative base shared by every service's models.

SQLite is the zero-setup default (one file per service, WAL mode); PostgreSQL is selected by
URL. Engines are built by the app factory, never at import time.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.orm.session import SessionTransactionOrigin
from sqlalchemy.types import TypeDecorator

from miniport.common.prepared import run_on_driver

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores aware UTC datetimes; hands them back aware on every backend (SQLite drops tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


class NestedWriteTransaction(RuntimeError):
    """A thread inside a write transaction on a SQLite file began a second one on that file.

    SQLite admits one writer per database file. The second ``BEGIN IMMEDIATE`` would wait for
    a lock its own thread holds and will release only after the wait: a self-deadlock that
    ends when the busy timeout (30 s) runs out, with the whole event loop blocked meanwhile.
    Raised at once instead, so the bug shows in the first test that reaches it rather than
    as a hang in production.
    """


# Per thread: the write transactions it holds open in a block of its own (an explicit
# ``session.begin()``, or a session marked ``THREAD_BOUND``), as (database file, the
# transaction, the DB-API connection). Sessions that a framework opens on one thread and
# closes on another (request dependencies) are left out: while their transaction is open
# their first thread may serve someone else, and a BEGIN there only waits its turn.
_held = threading.local()

THREAD_BOUND = "miniport_thread_bound"


def _held_writes() -> list[tuple[str, weakref.ref[SessionTransaction], int]]:
    held: list[tuple[str, weakref.ref[SessionTransaction], int]] | None = getattr(
        _held, "writes", None
    )
    if held is None:
        held = _held.writes = []
    return held


@functools.lru_cache(maxsize=64)
def _database_file(database: str) -> str:
    return str(Path(database).resolve())


def _guard_nested_write(database: str, dbapi_connection: Any) -> None:
    held = _held_writes()
    for entry in list(held):
        holder_database, transaction_ref, holder = entry
        transaction = transaction_ref()
        if transaction is None or not transaction.is_active:
            held.remove(entry)
        elif holder_database == database and holder != id(dbapi_connection):
            raise NestedWriteTransaction(
                f"this thread holds the write lock of {database} in an open transaction; a "
                "second write transaction would wait for it until the busy timeout. Read "
                "through a read-only session, or do the work in the transaction already open."
            )


@event.listens_for(Session, "after_begin")
def _note_write_transaction(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    if connection.dialect.name != "sqlite":
        return
    if connection.get_execution_options().get("sqlite_begin", "IMMEDIATE") != "IMMEDIATE":
        return
    explicit = transaction.origin is SessionTransactionOrigin.BEGIN
    if not (explicit or session.info.get(THREAD_BOUND)):
        return
    database = connection.engine.url.database
    if not database or database == ":memory:":
        return
    _held_writes().append(
        (
            _database_file(database),
            weakref.ref(transaction),
            id(connection.connection.dbapi_connection),
        )
    )


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout.

    Statement parameters are kept out of SQLAlchemy's exception messages (and so out of
    every traceback and log): they are codes, token hashes and whatever a person typed.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            parsed,
            echo=echo,
            hide_parameters=True,
            connect_args={"check_same_thread": False, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Take control of transactions ourselves: pysqlite's implicit BEGIN would make
            # "BEGIN IMMEDIATE" impossible and defers the write lock to the first UPDATE.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front, so two writers never fail on upgrading
            # a read lock (SQLite answers that with SQLITE_BUSY at once, ignoring the busy
            # timeout). Pure readers opt into DEFERRED via ``read_only_engine``.
            mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            if mode == "IMMEDIATE" and database is not None:
                _guard_nested_write(database, conn.connection.dbapi_connection)
            # On the driver's cursor: every transaction begins here, and SQLAlchemy's
            # execution of a statement costs several times SQLite's BEGIN (common.prepared).
            run_on_driver(conn, f"BEGIN {mode}")

        database = (
            _database_file(parsed.database)
            if parsed.database and parsed.database != ":memory:"
            else None  # each in-memory database is private to its connection
        )
        return engine
    return create_engine(
        parsed,
        echo=echo,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
    )


def read_only_engine(engine: Engine) -> Engine:
    """The same pool, but transactions that never take SQLite's write lock."""
    return engine.execution_options(sqlite_begin="DEFERRED")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits at the end of the block, or rolls back on error."""
    with factory() as session, session.begin():
        yield session


class ModelBase(DeclarativeBase):
    """Subclassed once per service so each service's tables live in their own metadata."""

    __abstract__ = True


_BEFORE_COMMIT = "miniport_before_commit"
_AFTER_COMMIT = "miniport_after_commit"


def before_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` inside this session's transaction just before it commits.

    For writes that must be the last thing a transaction does (a commit-ordered journal
    row: see ``platform.ports.journal``). ``action`` may execute statements; it is dropped
    on rollback.
    """
    session.info.setdefault(_BEFORE_COMMIT, []).append(action)


@event.listens_for(Session, "before_commit")
def _run_before_commit(session: Session) -> None:
    actions: list[Callable[[], None]] = session.info.pop(_BEFORE_COMMIT, [])
    for action in actions:
        action()


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run ``action`` once this session's transaction commits; dropped on rollback.

    For effects that must not happen for work that never lands: telling other workers to
    reload, clearing caches.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    actions: list[Callable[[], None]] = session.info.pop(_AFTER_COMMIT, [])
    for action in actions:
        action()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, _previous_transaction: object) -> None:
    session.info.pop(_BEFORE_COMMIT, None)
    session.info.pop(_AFTER_COMMIT, None)


_CHANGED = "miniport_changed_topics"


def mark_changed(session: Session, topic: str) -> None:
    """Note that committed work changes what workers cache under ``topic``.

    Domain code says *what* changed; the service wires its session factory to its change
    bus (``on_commit_changes``) so the announcement goes out only after the commit.
    """
    session.info.setdefault(_CHANGED, set()).add(topic)


def on_commit_changes(factory: sessionmaker[Session], publish: Callable[[str], None]) -> None:
    def _publish(session: Session) -> None:
        for topic in sorted(session.info.pop(_CHANGED, ())):
            publish(topic)

    def _forget(session: Session, _previous: object) -> None:
        session.info.pop(_CHANGED, None)

    event.listen(factory, "after_commit", _publish)
    event.listen(factory, "after_soft_rollback", _forget)
