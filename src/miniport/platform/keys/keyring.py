"""Signing keys: RS256 and ES256, created on first start, rotated on demand.

States: ``active`` signs new tokens; ``previous`` no longer signs but stays in the JWKS so
tokens it signed keep verifying until they expire; ``retired`` keys are dropped from JWKS.
Rotation makes a new active key per algorithm, demotes the old active key to previous and
retires keys that were already previous.

Workers hold the keys in memory; a rotation announces itself on the change bus, and a worker
also re-reads the table once its view is ``refresh_seconds`` old, so a rotation made where no
bus reaches (a silent process) is seen within that interval.

Private JWKs are stored sealed by the at-rest cipher (``miniport.platform.atrest``), bound to
their kid; they are opened only when the keys are loaded, never per request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import ECKey, KeySet, OctKey, OKPKey, RSAKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from miniport.common import clock
from miniport.common.clock import utcnow
from miniport.common.db import mark_changed
from miniport.common.tokens import new_secret
from miniport.platform.atrest.cipher import DataCipher
from miniport.platform.atrest.columns import open_private_jwk, seal_private_jwk
from miniport.platform.audit.changes import record_change
from miniport.platform.keys.models import SigningKey
from miniport.platform.ports.states import Actor

SUPPORTED_ALGORITHMS = ("RS256", "ES256")

log = logging.getLogger(__name__)

Key = RSAKey | ECKey


def _generate(alg: str) -> Key:
    if alg == "RS256":
        return RSAKey.generate_key(2048, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", private=True)
    raise ValueError(f"unsupported signing algorithm {alg}")


def _new_row(alg: str, cipher: DataCipher) -> SigningKey:
    key = _generate(alg)
    kid = f"{alg.lower()}-{utcnow():%Y%m%d}-{new_secret(6)}"
    private_jwk = seal_private_jwk(cipher, kid, key.as_dict(private=True))
    return SigningKey(kid=kid, alg=alg, private_jwk=private_jwk, state="active")


def ensure_keys(session: Session, *, cipher: DataCipher) -> None:
    """Create an active key for each algorithm that has none (first start)."""
    active = set(session.scalars(select(SigningKey.alg).where(SigningKey.state == "active")))
    for alg in SUPPORTED_ALGORITHMS:
        if alg not in active:
            session.add(_new_row(alg, cipher))
    session.flush()


def _kids(rows: list[SigningKey], state: str) -> list[str]:
    return sorted(row.kid for row in rows if row.state == state)


def rotate(
    session: Session, *, cipher: DataCipher, actor: Actor, now: dt.datetime | None = None
) -> list[str]:
    """Rotate every algorithm's key; returns the new active kids.

    Audited as ``keys.rotated`` with the key ids (public: they are in the JWKS), never a key.
    """
    now = now or utcnow()
    rows = list(session.scalars(select(SigningKey).where(SigningKey.state != "retired")))
    before = {"active": _kids(rows, "active"), "previous": _kids(rows, "previous")}
    for row in rows:
        if row.state == "previous":
            row.state, row.retired_at = "retired", now
        elif row.state == "active":
            row.state = "previous"
    new_rows = [_new_row(alg, cipher) for alg in SUPPORTED_ALGORITHMS]
    session.add_all(new_rows)
    session.flush()
    mark_changed(session, "keys")
    record_change(
        session,
        actor,
        "keys.rotated",
        target=("signing_keys", "jwks"),
        at=now,
        before=before,
        after={
            "active": sorted(row.kid for row in new_rows),
            "previous": before["active"],
            "retired": before["previous"],
        },
    )
    return [row.kid for row in new_rows]


@dataclass(frozen=True)
class KeySnapshot:
    signing: dict[str, tuple[str, Key]]  # alg -> (kid, key)
    verification: KeySet
    jwks_bytes: bytes


def _load_snapshot(session: Session, cipher: DataCipher) -> KeySnapshot:
    rows = list(
        session.scalars(
            select(SigningKey)
            .where(SigningKey.state.in_(("active", "previous")))
            .order_by(SigningKey.created_at)
        )
    )
    signing: dict[str, tuple[str, Key]] = {}
    keys: list[RSAKey | ECKey | OctKey | OKPKey] = []
    for row in rows:
        data: dict[str, Any] = open_private_jwk(cipher, row.kid, row.private_jwk)
        data["kid"] = row.kid
        key: Key = RSAKey.import_key(data) if row.alg == "RS256" else ECKey.import_key(data)
        keys.append(key)
        if row.state == "active":
            signing[row.alg] = (row.kid, key)
    public = [
        {**key.as_dict(private=False), "kid": key.kid, "use": "sig", "alg": alg}
        for key, alg in ((k, "RS256" if isinstance(k, RSAKey) else "ES256") for k in keys)
    ]
    jwks = json.dumps({"keys": public}, separators=(",", ":")).encode()
    return KeySnapshot(signing=signing, verification=KeySet(keys), jwks_bytes=jwks)


class Keyring:
    """The in-memory view of the signing keys, refreshed from the database now and then.

    Reading the keys never waits on the database: ``current()`` answers from memory, and when
    the view is older than ``refresh_seconds`` it starts one reload on a thread of its own and
    answers with the view it has meanwhile. That matters because tokens are signed inside
    the group-commit transaction, which holds SQLite's write lock: a reload there would be a
    second transaction on the same thread (see ``common.db.NestedWriteTransaction``).
    Reloads read through ``read_sessions`` (never taking the write lock); only the first
    start writes, to create missing keys.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        *,
        cipher: DataCipher,
        refresh_seconds: float = 30.0,
    ) -> None:
        self._read_sessions = read_sessions
        self._cipher = cipher
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._reloading = False
        with sessions() as session, session.begin():
            ensure_keys(session, cipher=cipher)
        self._snapshot = self._read()
        self._loaded_at = clock.monotonic()

    def _read(self) -> KeySnapshot:
        with self._read_sessions() as session:
            return _load_snapshot(session, self._cipher)

    def reload(self) -> None:
        """Read the keys now (start-up, tests, and the bus's ``keys`` topic off the loop)."""
        started = clock.monotonic()
        snapshot = self._read()
        with self._lock:
            self._snapshot, self._loaded_at = snapshot, started

    def current(self) -> KeySnapshot:
        if clock.monotonic() - self._loaded_at > self._refresh_seconds:
            self._reload_in_background()
        return self._snapshot

    def _reload_in_background(self) -> None:
        with self._lock:
            if self._reloading:
                return
            self._reloading = True
        threading.Thread(target=self._background_reload, name="keyring-reload", daemon=True).start()

    def _background_reload(self) -> None:
        try:
            self.reload()
        except Exception:
            # The keys in memory stay valid; try again after another interval rather than
            # on the next request (a database that is down would get a thread per request).
            log.exception("reloading the signing keys failed; keeping the loaded ones")
            with self._lock:
                self._loaded_at = clock.monotonic()
        finally:
            with self._lock:
                self._reloading = False

    def signing_key(self, alg: str) -> tuple[str, Key]:
        return self.current().signing[alg]
