"""Registered host apps as client authentication needs them, held in memory.

The token, introspection and revocation endpoints authenticate a client on every call; a
database read per call would cost more than the rest of an introspection. So the few facts
they need about a host app (its secret digest and ID-token algorithm) are cached per
client_id. Freshness (see ``cache``): the bus topic ``registry`` clears the cache in every
worker, so a rotated secret stops working at once; an unknown client_id is never cached, so a
host app registered a moment ago is found on its first call; entries expire after ``ttl``
seconds, which bounds how long a secret rotated by a silent process keeps working.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.tokens import same_secret
from miniport.platform.registry.cache import RegistryCache
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
        self._cache = RegistryCache(
            factory,
            _load,
            ttl=ttl,
            max_entries=max_entries,
            max_key_length=MAX_CLIENT_ID_LENGTH,
        )

    def clear(self) -> None:
        self._cache.clear()

    def get(self, client_id: str) -> HostAppEntry | None:
        return self._cache.get(client_id)

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
