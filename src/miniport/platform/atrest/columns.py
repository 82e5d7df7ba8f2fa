"""The columns kept sealed at rest, what each value is bound to, and re-sealing them all.

- ``signing_keys.private_jwk``: bound to the key's ``kid``;
- ``brands.webhook_secret`` and ``host_apps.webhook_secret``: bound to the partner's id.

A value moved to another row or column fails to open (see ``cipher``). ``verify_readable``
opens every value once, which is how a server and the commands that use these values refuse
a wrong key up front instead of failing request by request later.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.atrest.cipher import AtRestKeyError, DataCipher
from miniport.platform.audit.changes import record_change
from miniport.platform.keys.models import SigningKey
from miniport.platform.ports.states import Actor
from miniport.platform.registry.models import Brand, HostApp

_PARTNER_TABLES = {"host": "host_apps", "brand": "brands"}


def private_jwk_context(kid: str) -> str:
    return f"signing_keys.private_jwk:{kid}"


def webhook_secret_context(partner_kind: str, partner_id: str) -> str:
    """``partner_kind`` is ``host`` (id: client_id) or ``brand`` (id: the brand's number)."""
    return f"{_PARTNER_TABLES[partner_kind]}.webhook_secret:{partner_id}"


def seal_private_jwk(cipher: DataCipher, kid: str, jwk: dict[str, Any]) -> str:
    return cipher.seal(json.dumps(jwk), context=private_jwk_context(kid))


def open_private_jwk(cipher: DataCipher, kid: str, stored: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(cipher.open(stored, context=private_jwk_context(kid)))
    return jwk


def _partner_context(partner: HostApp | Brand) -> str:
    if isinstance(partner, HostApp):
        return webhook_secret_context("host", partner.client_id)
    if partner.id is None:
        # The id is what the secret is bound to; it exists once the row is flushed.
        raise ValueError("flush a new brand before storing its webhook secret")
    return webhook_secret_context("brand", str(partner.id))


def store_webhook_secret(cipher: DataCipher, partner: HostApp | Brand, secret: str) -> None:
    partner.webhook_secret = cipher.seal(secret, context=_partner_context(partner))


def webhook_secret(cipher: DataCipher, partner: HostApp | Brand) -> str | None:
    """A partner's webhook signing secret (``whsec_…``), or ``None`` when it has none."""
    if partner.webhook_secret is None:
        return None
    return cipher.open(partner.webhook_secret, context=_partner_context(partner))


def _sealed_rows(session: Session) -> Iterator[tuple[str, SigningKey | HostApp | Brand, str]]:
    """(context, row, stored value) of every sealed value, retired signing keys included."""
    for key in session.scalars(select(SigningKey).order_by(SigningKey.created_at)):
        yield private_jwk_context(key.kid), key, key.private_jwk
    for partner in [
        *session.scalars(select(Brand).where(Brand.webhook_secret.is_not(None))),
        *session.scalars(select(HostApp).where(HostApp.webhook_secret.is_not(None))),
    ]:
        assert partner.webhook_secret is not None  # the query's condition
        yield _partner_context(partner), partner, partner.webhook_secret


def verify_readable(session: Session, cipher: DataCipher) -> int:
    """Open every sealed value once; returns how many, or raises naming the first failure."""
    failures: list[str] = []
    count = 0
    for context, _row, stored in _sealed_rows(session):
        count += 1
        try:
            cipher.open(stored, context=context)
        except AtRestKeyError as error:
            failures.append(str(error))
    if failures:
        more = f" ({len(failures) - 1} more like it)" if len(failures) > 1 else ""
        raise AtRestKeyError(
            f"{len(failures)} of {count} values encrypted at rest cannot be read with the "
            f"configured keys: {failures[0]}{more}"
        )
    return count


@dataclass(frozen=True)
class Reencrypted:
    """What ``reencrypt`` did: values moved to the current key, and those already on it."""

    key_id: str
    signing_keys: int
    webhook_secrets: int
    unchanged: int


def reencrypt(
    session: Session, cipher: DataCipher, *, actor: Actor, now: dt.datetime | None = None
) -> Reencrypted:
    """Seal every value not yet under the current key with it (flushed, not committed).

    Everything is checked first, so a value no configured key opens stops the whole run
    before anything is written. Once this has committed, earlier keys can be dropped from
    the settings. Audited as ``keys.reencrypted`` with the key id (never a key) when it
    moved anything.
    """
    verify_readable(session, cipher)
    moved = {"signing_keys": 0, "webhook_secrets": 0}
    unchanged = 0
    for context, row, stored in _sealed_rows(session):
        if cipher.is_current(stored):
            unchanged += 1
            continue
        resealed = cipher.seal(cipher.open(stored, context=context), context=context)
        if isinstance(row, SigningKey):
            row.private_jwk = resealed
            moved["signing_keys"] += 1
        else:
            row.webhook_secret = resealed
            moved["webhook_secrets"] += 1
    session.flush()
    if any(moved.values()):
        record_change(
            session,
            actor,
            "keys.reencrypted",
            target=("at_rest_key", cipher.current_key_id),
            at=now or utcnow(),
            after={**moved, "unchanged": unchanged},
        )
    return Reencrypted(key_id=cipher.current_key_id, unchanged=unchanged, **moved)
