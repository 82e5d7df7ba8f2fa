"""Daily quotas counted in ``daily_counters``: one atomic conditional upsert per use.

``INSERT … ON CONFLICT (key, day) DO UPDATE SET count = count + 1 WHERE count < limit``
either takes one unit or changes nothing, in a single statement: two concurrent requests can
never both see "2 of 3 used" and both proceed, which a read-then-write would allow. SQLite
serialises writers; PostgreSQL locks the conflicting row and re-checks the condition.
The unit is taken inside the caller's transaction, so a request refused later rolls it back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Executable, bindparam
from sqlalchemy.dialects import postgresql, sqlite

from miniport.platform.ports.models import DailyCounter

# Built once per dialect: constructing a statement costs more than running it on SQLite.
_TAKE: dict[str, Executable] = {}


def launch_key(port_id: int) -> str:
    """The counter of a port's daily launch quota."""
    return f"launch:port:{port_id}"


def day_of(now: dt.datetime) -> str:
    """Quotas reset at midnight UTC."""
    return now.astimezone(dt.UTC).strftime("%Y-%m-%d")


def _take_statement(dialect: str) -> Executable:
    statement = _TAKE.get(dialect)
    if statement is None:
        module: Any = postgresql if dialect == "postgresql" else sqlite
        counter = DailyCounter.__table__
        statement = (
            module.insert(counter)
            .values(key=bindparam("counter_key"), day=bindparam("counter_day"), count=1)
            .on_conflict_do_update(
                index_elements=[counter.c.key, counter.c.day],
                set_={"count": counter.c.count + 1},
                where=counter.c.count < bindparam("counter_limit"),
            )
            # Without it psycopg's rowcount of an INSERT is not kept (-1, which is truthy):
            # PostgreSQL would count every use as taken and never refuse one.
            .execution_options(preserve_rowcount=True)
        )
        _TAKE[dialect] = statement
    return statement


def take(connection: Connection, *, key: str, limit: int, now: dt.datetime) -> bool:
    """Count one use of ``key`` today if fewer than ``limit`` were counted; False if spent."""
    if limit <= 0:
        return False
    result = connection.execute(
        _take_statement(connection.dialect.name),
        {"counter_key": key, "counter_day": day_of(now), "counter_limit": limit},
    )
    return getattr(result, "rowcount", 0) == 1  # inserted or counted up; 0 when spent
