"""SQLite WAL checkpoints on a background thread, so that no request waits for one.

In WAL mode SQLite appends every commit to the log and, by default, copies the log back into
the database file ("checkpoints") inside whichever COMMIT takes it past 1,000 pages; that
commit then also waits for fsync. When the committing code runs on an event loop (the group
commits of ``platform.web.group_commit``), every request in flight waits with it: on the
development machines a checkpoint of a few thousand pages takes 30–60 ms, several times a
second under token load.

``WalCheckpointer`` turns the automatic checkpoint off on the connections such code uses
(``attach``) and checkpoints from its own thread every ``interval`` seconds instead. The
sqlite3 module releases the GIL while SQLite copies pages and syncs, so requests keep being
served meanwhile. Checkpoints are PASSIVE: they never wait for readers or writers, and a
busy moment simply leaves the rest for the next round. On other databases it does nothing.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Connection, Engine

log = logging.getLogger(__name__)

_ATTACHED = "miniport_no_autocheckpoint"


class WalCheckpointer:
    def __init__(self, engine: Engine, *, interval: float = 0.2) -> None:
        self._engine = engine
        self._interval = interval
        url = engine.url
        self.enabled = url.get_backend_name() == "sqlite" and url.database not in (
            None,
            "",
            ":memory:",
        )
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if not self.enabled or self.running:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name="miniport-wal-checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join(timeout=10)
        self._thread = None
        # Connections attached meanwhile no longer checkpoint by themselves: leave the log
        # copied back, so it does not wait for the last connection to close.
        self.checkpoint()

    def attach(self, connection: Connection) -> None:
        """Leave ``connection``'s checkpoints to this thread (only while it runs).

        Set once per database connection: the flag lives in the DBAPI connection's ``info``,
        which outlives pool checkouts.
        """
        if not self.running or connection.info.get(_ATTACHED):
            return
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
        connection.info[_ATTACHED] = True

    def checkpoint(self) -> None:
        if not self.enabled:
            return
        # A raw connection: the engine's ``begin`` hook would open a write transaction, and a
        # checkpoint is run outside any transaction.
        raw = self._engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                cursor.close()
        finally:
            raw.close()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.checkpoint()
            except Exception:
                # A failed round (disk full, database gone) must not end the thread: the
                # next one may succeed, and without it the log would grow without bound.
                log.exception("WAL checkpoint failed")
