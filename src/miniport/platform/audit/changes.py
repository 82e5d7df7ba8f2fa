"""One governance change made by a party (an ``Actor``), written as one audit entry.

Registry, key, membership and webhook changes all record themselves through ``record_change``
inside the domain function that makes the change, so the console, the CLI and any later
caller write the same entry for the same change. Secrets never enter the log: a change that
issues or replaces one records only its ``fingerprint``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from miniport.common.tokens import digest
from miniport.platform.audit.chain import append
from miniport.platform.audit.models import AuditEntry
from miniport.platform.ports.states import Actor

# 64 bits of the SHA-256 digest: enough to tell two secrets apart in the log, and (for a
# 256-bit random secret) no help at all in guessing one.
_FINGERPRINT_HEX = 16


def fingerprint_of_digest(sha256_hex: str) -> str:
    """The fingerprint of a secret stored only as its SHA-256 hex digest."""
    return "sha256:" + sha256_hex[:_FINGERPRINT_HEX]


def fingerprint(secret: str) -> str:
    """What the log shows of a secret: a short prefix of its SHA-256 digest."""
    return fingerprint_of_digest(digest(secret))


def record_change(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target: tuple[str, str],
    at: dt.datetime,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append the entry for ``action`` on ``target`` (kind, id), in the caller's transaction."""
    return append(
        session,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=action,
        target_kind=target[0],
        target_id=target[1],
        before=before,
        after=after,
        at=at,
    )
