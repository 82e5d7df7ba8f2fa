"""Core statements run straight on the DB-API cursor, for the few hot paths that need it.

SQLAlchemy's execution pipeline (execution context, compiled-cache lookup, parameter and
result processing objects, events, result wrappers) costs about 70 µs a statement on this
machine against 5 µs for the driver itself running the same SQL on SQLite (measured:
``benchmarks/RESULTS.md``). On launch and ``jscode2session``, which run two statements a
request, that overhead was most of the request. ``Prepared`` keeps SQLAlchemy for what it is
good at here — building the statement and compiling it for the connection's dialect, with
the column types' own conversions — and runs the compiled SQL on the raw cursor:

- compiled once per dialect, on first use; the parameter order and each parameter's bind
  processor (e.g. a ``UTCDateTime`` to SQLite's text form) come from the compiler and the
  types, so values are stored exactly as a Core ``execute`` stores them;
- result columns go through their types' result processors, so a row reads exactly as
  from Core (aware datetimes, real booleans);
- driver errors are raised as SQLAlchemy's ``DBAPIError`` family, as from Core, so callers
  map a timeout or a lost connection the same way.

It runs inside whatever transaction the ``Connection`` is in (SQLAlchemy began it), and
takes plain bound parameters (``bindparam("name")``, and constants written into the
statement), not ``IN`` lists that expand. An insert names its columns and their
parameters explicitly (``insert(table).values(col=bindparam("col"))``): column defaults
are not filled in, so every parameter must be given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, exc
from sqlalchemy import insert as sa_insert
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any]
Row = tuple[Any, ...]


_GIVEN = object()  # a parameter the caller gives, as opposed to a constant of the statement


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # (name, processor, constant or _GIVEN): for positional paramstyles in the order of the
    # placeholders, for named ones in any order.
    binds: tuple[tuple[str, Processor | None, Any], ...]
    positional: bool
    results: tuple[Processor | None, ...]


class Prepared:
    """One Core statement, compiled per dialect on first use, run on the DB-API cursor."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    @classmethod
    def insert(cls, table: Table, columns: Iterable[str]) -> Prepared:
        """An insert of these columns, each from the parameter of the same name."""
        return cls(sa_insert(table).values({name: bindparam(name) for name in columns}))

    def _compiled(self, connection: Connection) -> _Compiled:
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is not None:
            return compiled
        sql_compiler = self.statement.compile(dialect=dialect)
        assert isinstance(sql_compiler, SQLCompiler)
        names: Sequence[str] = (
            sql_compiler.positiontup
            if sql_compiler.positional and sql_compiler.positiontup is not None
            else list(dict.fromkeys(sql_compiler.bind_names.values()))
        )
        binds = []
        for name in names:
            param = sql_compiler.binds[name]
            if param.expanding or param.callable is not None:
                raise ValueError(f"Prepared takes plain bound parameters only, not {name}")
            bind_type = param.type.dialect_impl(dialect)
            # A value in the statement itself (``count + 1``) is a constant; a parameter
            # made with ``bindparam("name")`` has none and must be given.
            value = _GIVEN if param.value is None else param.value
            binds.append((name, bind_type.bind_processor(dialect), value))
        results: list[Processor | None] = []
        for column in getattr(self.statement, "selected_columns", ()):
            column_type = column.type.dialect_impl(dialect)
            results.append(column_type.result_processor(dialect, None))
        compiled = _Compiled(
            sql=sql_compiler.string,
            binds=tuple(binds),
            positional=sql_compiler.positional,
            results=tuple(results),
        )
        self._by_dialect[dialect.name] = compiled
        return compiled

    def _parameters(self, compiled: _Compiled, params: Mapping[str, Any]) -> Any:
        values = []
        for name, processor, constant in compiled.binds:
            value = params[name] if constant is _GIVEN else constant
            values.append(processor(value) if processor is not None else value)
        if compiled.positional:
            return values
        return dict(zip((name for name, _, _ in compiled.binds), values, strict=True))

    def _run(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, _Compiled]:
        compiled = self._compiled(connection)
        parameters = self._parameters(compiled, params)
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, parameters)
        except connection.dialect.loaded_dbapi.Error as error:
            cursor.close()
            raise _wrapped(connection, compiled.sql, parameters, error) from error
        return cursor, compiled

    def many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement that returns no rows once per row of parameters, in one call."""
        if not rows:
            return
        compiled = self._compiled(connection)
        parameters = [self._parameters(compiled, row) for row in rows]
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(compiled.sql, parameters)
        except connection.dialect.loaded_dbapi.Error as error:
            raise _wrapped(connection, compiled.sql, parameters, error) from error
        finally:
            cursor.close()

    def rowcount(self, connection: Connection, params: Mapping[str, Any]) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        cursor, _ = self._run(connection, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Row | None:
        """Run a query; its first row, converted by the columns' types, or None."""
        cursor, compiled = self._run(connection, params)
        try:
            raw = cursor.fetchone()
        finally:
            cursor.close()
        if raw is None:
            return None
        return tuple(
            processor(value) if processor is not None else value
            for processor, value in zip(compiled.results, raw, strict=True)
        )


def run_on_driver(connection: Connection, sql: str) -> None:
    """Run a statement without parameters or rows (``BEGIN``) on the DB-API cursor, its
    errors raised as SQLAlchemy's ``DBAPIError`` family."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
    except connection.dialect.loaded_dbapi.Error as error:
        raise _wrapped(connection, sql, None, error) from error
    finally:
        cursor.close()


def _wrapped(
    connection: Connection, sql: str, parameters: Any, error: Exception
) -> exc.StatementError:
    """The driver's error as SQLAlchemy raises it from Core (``OperationalError``, …)."""
    dbapi_error = connection.dialect.loaded_dbapi.Error
    return exc.DBAPIError.instance(sql, parameters, error, dbapi_error, dialect=connection.dialect)
