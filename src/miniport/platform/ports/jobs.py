"""The trial-expiry job: every open port whose trial has ended becomes ``expired``.

Each platform worker runs one (started by the app's lifespan). Decisions never wait for
it: ``decide`` already refuses with ``trial_ended`` from the snapshot the moment the trial
ends. The job makes the state official: it records the transition, revokes what was handed
out under the port, writes the ``port.expired`` webhook event and tells every worker.

Several workers sweeping at once is safe: each port is expired in its own transaction by
``lifecycle.expire_port``, which finds nothing to do when another worker got there first;
committing per port keeps one bad row from holding back the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.platform.ports import lifecycle
from miniport.platform.ports.states import PortError

log = logging.getLogger(__name__)


def expire_due_ports(
    sessions: sessionmaker[Session],
    read_sessions: sessionmaker[Session],
    *,
    now: dt.datetime,
) -> list[int]:
    """One sweep: expire every due port, one transaction each; returns the ids expired here.

    The search uses a read-only session so that a sweep finding nothing (nearly every
    sweep) never takes SQLite's write lock.
    """
    with read_sessions() as session:
        due = lifecycle.due_for_expiry(session, now=now)
    expired: list[int] = []
    for port_id in due:
        try:
            with sessions() as session, session.begin():
                if lifecycle.expire_port(session, port_id, now=now) is not None:
                    expired.append(port_id)
        except PortError:
            # Moved by someone else between the search and the lock: nothing left to do.
            continue
    return expired


class TrialExpiryJob:
    """Runs ``expire_due_ports`` every ``interval`` seconds on a background thread."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        *,
        interval: float,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._read_sessions = read_sessions
        self._interval = interval
        self._clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._interval <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="miniport-trial-expiry", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=10)

    def run_once(self) -> list[int]:
        return expire_due_ports(self._sessions, self._read_sessions, now=self._clock())

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                expired = self.run_once()
            except Exception:
                # A database hiccup must not kill the job for the life of the worker.
                log.exception("trial-expiry sweep failed; retrying in %.1f s", self._interval)
                continue
            if expired:
                log.info("expired %d port(s) whose trial ended: %s", len(expired), expired)
