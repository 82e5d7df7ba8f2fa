"""Group commit: concurrent write units share one transaction and one COMMIT.

Every token request writes a row. On SQLite, opening a session, ``BEGIN IMMEDIATE`` and
``COMMIT`` cost several times the insert itself, so a commit per request caps the token
endpoint far below its target (numbers in ``benchmarks/RESULTS.md``). Instead a request
hands its unit of work to ``GroupCommit.run`` and waits. A flush, scheduled on the event
loop as soon as the first unit is queued, takes every unit queued by then, runs them one
after the other in one session, commits once, and only then lets each request answer:

- a crash before the COMMIT loses the batch, but no request was answered for it, so no
  client holds a token the database forgot; a crash after it loses nothing;
- a unit that raises is dropped from the batch with its error, the transaction rolled back,
  and the others run again in a fresh one, so one bad request never fails its neighbours
  and never leaves half its writes behind. Units must therefore touch the database only
  through the session they are given and be safe to run again (they make fresh random
  values each time; nothing they did is visible before the commit);
- a failing COMMIT fails every request of the batch: none of them was stored.

The flush runs on the event loop thread, like the synchronous database calls of the routes
it replaces: with one worker per core a thread hop would only add switching. What must not
run there is SQLite's WAL checkpoint, which waits for fsync: given a running
``WalCheckpointer``, the connections the batches use leave checkpoints to its thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from miniport.common.checkpoints import WalCheckpointer
from miniport.common.db import THREAD_BOUND

T = TypeVar("T")
MAX_BATCH = 256


@dataclass(frozen=True, slots=True)
class _Queued(Generic[T]):
    unit: Callable[[Session], T]
    future: asyncio.Future[T]


class _UnitFailed(Exception):
    def __init__(self, item: _Queued[Any], error: Exception) -> None:
        super().__init__(str(error))
        self.item = item
        self.error = error


def _settle(
    item: _Queued[Any], *, value: object = None, error: BaseException | None = None
) -> None:
    if item.future.done():  # the request was cancelled meanwhile (client gone)
        return
    if error is not None:
        item.future.set_exception(error)
    else:
        item.future.set_result(value)


class GroupCommit:
    """Runs write units in shared transactions; ``await run(unit)`` returns once committed."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_batch: int = MAX_BATCH,
        checkpoints: WalCheckpointer | None = None,
    ) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._checkpoints = checkpoints
        self._pending: list[_Queued[Any]] = []
        self._scheduled = False
        self.batches = 0  # how many transactions committed, for tests and benchmarks
        self.units = 0

    async def run(self, unit: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append(_Queued(unit, future))
        if not self._scheduled:
            self._scheduled = True
            # call_soon, not a timer: the flush runs after every request already read in
            # this loop iteration has queued its unit, which is the whole batch there is.
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, []
        try:
            for start in range(0, len(pending), self._max_batch):
                self._commit(pending[start : start + self._max_batch])
        finally:
            # Whatever happened (even a BaseException), no request may wait forever.
            for item in pending:
                _settle(item, error=RuntimeError("the write was not committed"))

    def _commit(self, batch: list[_Queued[Any]]) -> None:
        while batch:
            try:
                values = self._attempt(batch)
            except _UnitFailed as failed:
                _settle(failed.item, error=failed.error)
                batch = [item for item in batch if item is not failed.item]
                continue
            except Exception as error:
                for item in batch:
                    _settle(item, error=error)
                return
            self.batches += 1
            self.units += len(batch)
            for item, value in zip(batch, values, strict=True):
                _settle(item, value=value)
            return

    def _attempt(self, batch: list[_Queued[Any]]) -> list[Any]:
        """Run the batch in one transaction and commit it; rolled back on any error."""
        with self._sessions() as session:
            # The batch begins and ends on this thread: a unit that opened a write
            # transaction of its own would wait on this one's lock (common.db).
            session.info[THREAD_BOUND] = True
            # Begin (on SQLite: take the write lock) before any unit runs, so that a lock or
            # connection failure fails the batch once instead of being blamed on its first
            # unit and met again by every retry.
            connection = session.connection()
            if self._checkpoints is not None:
                self._checkpoints.attach(connection)
            values = []
            for item in batch:
                try:
                    values.append(item.unit(session))
                except Exception as error:
                    raise _UnitFailed(item, error) from error
            session.commit()
            return values
