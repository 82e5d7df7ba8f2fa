"""The change bus over PostgreSQL ``LISTEN`` / ``NOTIFY`` (psycopg 3).

The database every worker already shares doubles as the bus, so a multi-process or
multi-machine deployment needs nothing beyond PostgreSQL. ``publish`` runs from the
session's after-commit hook, so ``NOTIFY`` goes out only for committed work and a worker that
reloads on hearing it always reads the change. Both connections are autocommit: a
notification is sent immediately, and the listener never sits idle in a transaction.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from miniport.platform.bus.remote import HEALTH_CHECK_INTERVAL, POLL_INTERVAL, RemoteBus

# Short connect timeout and TCP keepalives: a listener stuck on a dead peer would silently
# stop delivering changes, which is worse than reconnecting early.
CONNECT_OPTIONS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


def psycopg_dsn(url: str) -> str:
    """A libpq connection string from a SQLAlchemy URL (``postgresql+psycopg://…``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string()}")
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresBus(RemoteBus):
    kind = "postgres"

    def __init__(self, url: str, *, channel: str) -> None:
        super().__init__(channel)
        self._dsn = psycopg_dsn(url)
        self._sender: psycopg.Connection[Any] | None = None

    def _connect(self, application_name: str) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self._dsn, autocommit=True, application_name=application_name, **CONNECT_OPTIONS
        )

    def _listen_once(self) -> None:
        # Named per bus, so an operator can tell workers apart in pg_stat_activity.
        with self._connect(f"miniport-bus-listener-{self.origin}") as connection:
            # The channel is an identifier, quoted as one: never formatted into SQL raw.
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self._subscribed()
            last_round_trip = time.monotonic()
            while not self.stopping:
                for notify in connection.notifies(timeout=POLL_INTERVAL):
                    self._heard(notify.payload)
                    last_round_trip = time.monotonic()
                if time.monotonic() - last_round_trip > HEALTH_CHECK_INTERVAL:
                    connection.execute("SELECT 1")
                    last_round_trip = time.monotonic()

    def _send(self, payload: str) -> None:
        for attempt in (1, 2):
            try:
                if self._sender is None or self._sender.closed:
                    self._sender = self._connect(f"miniport-bus-publisher-{self.origin}")
                self._sender.execute("SELECT pg_notify(%s, %s)", (self.channel, payload))
                return
            except psycopg.OperationalError:
                # The idle publishing connection may have been dropped (server restart,
                # idle timeout): one fresh connection gets a second chance.
                self._close_sender()
                if attempt == 2:
                    raise

    def _close_sender(self) -> None:
        if self._sender is not None:
            self._sender.close()
            self._sender = None
