"""Registered host apps as client authentication needs them, held in memory.

The token, introspection and revocation endpoints authenticate a client on every call; a
database read per call would cost more than the rest of an introspection. So the few facts
they need about a host app (its secret digest and ID-token algorithm) are cached per
client_id. Freshness:

- the bus topic ``registry`` (announced after a registry change commits) clears the cache in
  every worker, so a rotated secret stops working at once;
- an unknown client_id is never cached, so a host app registered a moment ago, even by a
  process that announces nothing, is found on its first call;
- entries expire after ``ttl`` seconds, which bounds how long a secret rotated by such a
  silent process keeps working.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.tokens import same_secret
from miniport.platform.registry.models import HostApp

MAX_CLIENT_ID_LENGTH = 64
# Compared against when the client is unknown, so both answers cost the same work.
_NO_DIGEST = "0" * 64


@dataclass(frozen=True, slots=True)
class HostAppEntry:
    """What the protocol endpoints know about an authenticated host app."""

    client_id: str
    secret_digest: str
    id_token_signed_response_alg: str


class HostAppDirectory:
    """client_id → ``HostAppEntry``, read through to the database on a miss."""

    def __init__(
        self, factory: sessionmaker[Session], *, ttl: float = 10.0, max_entries: int = 10_000
    ) -> None:
        self._factory = factory
        self._ttl = ttl
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, HostAppEntry]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def get(self, client_id: str) -> HostAppEntry | None:
        hit = self._entries.get(client_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        if not client_id or len(client_id) > MAX_CLIENT_ID_LENGTH:
            return None
        generation = self._generation
        with self._factory() as session:
            entry = _load(session, client_id)
        if entry is not None:
            with self._lock:
                # A clear() while we were reading means the row we read may be outdated
                # already (a secret rotated meanwhile): use it once, but do not keep it.
                if generation == self._generation:
                    if len(self._entries) >= self._max_entries:
                        self._entries.clear()
                    self._entries[client_id] = (time.monotonic() + self._ttl, entry)
        return entry

    def authenticate(self, client_id: str, secret: str) -> HostAppEntry | None:
        """The host app these credentials belong to, or ``None``.

        The digest comparison is constant-time and runs for unknown clients too, so response
        timing tells neither how much of a secret matched nor which client ids exist.
        """
        entry = self.get(client_id)
        matches = same_secret(secret, entry.secret_digest if entry else _NO_DIGEST)
        return entry if entry is not None and matches else None


def _load(session: Session, client_id: str) -> HostAppEntry | None:
    table = HostApp.__table__.c
    row = session.execute(
        select(table.secret_digest, table.id_token_signed_response_alg).where(
            table.client_id == client_id
        )
    ).first()
    if row is None:
        return None
    return HostAppEntry(
        client_id=client_id,
        secret_digest=row.secret_digest,
        id_token_signed_response_alg=row.id_token_signed_response_alg,
    )
