"""``decide(snapshot, host, mini program, user, now)``: may this host run this mini program for
this user now? A pure function of an immutable snapshot — a dict lookup, a few comparisons,
and for a partial rollout one stable hash of the host's opaque user key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

# Decisions and rules are named tuples rather than frozen dataclasses: just as immutable,
# but built several times faster, which is most of a 100,000-port snapshot rebuild.


class Decision(NamedTuple):
    open: bool
    reason: str  # "open", or why not (stable codes, documented in docs/api.md)
    port_id: int | None = None


class PortRule(NamedTuple):
    """What the snapshot knows about one port.

    ``fixed`` is the decision when it does not depend on the user or the time (most ports:
    open to everyone, or not open at all), precomputed so those decisions are a lookup.
    ``salt`` is only computed for rules that need the rollout hash.
    """

    port_id: int
    state: str
    rollout_percent: int
    allow_list: frozenset[str]
    trial_ends_at: dt.datetime | None
    daily_launch_quota: int | None
    fixed: Decision | None = None
    salt: bytes = b""


NO_PORT = Decision(False, "no_port")
HOST_SUSPENDED = Decision(False, "host_suspended")
TRIAL_ENDED = Decision(False, "trial_ended")
NOT_IN_ROLLOUT = Decision(False, "not_in_rollout")
_CLOSED_BY_STATE = {
    state: Decision(False, f"port_{state}")
    for state in ("requested", "rejected", "withdrawn", "closed", "expired")
}


@dataclass(frozen=True, slots=True)
class PortSnapshot:
    rules: Mapping[tuple[str, str], PortRule] = field(default_factory=dict)
    suspended_hosts: frozenset[str] = frozenset()
    built_at: float = 0.0


def port_salt(port_id: int) -> bytes:
    return f"port:{port_id}:".encode()


_BUCKET_MEMO: dict[tuple[bytes, str], int] = {}
_BUCKET_MEMO_LIMIT = 100_000


def rollout_bucket(*, port_id: int, user_key: str, salt: bytes = b"") -> int:
    """A user's stable bucket in 0..9999 for one port.

    The port id salts the hash so the same users are not always the first let in on every
    port. BLAKE2b rather than a faster checksum: CRC-style hashes are linear, which would
    tie a user's buckets on different ports together. Buckets are memoised because one
    user's card is checked again and again, and the hash is the slow part of a decision.
    """
    salt = salt or port_salt(port_id)
    memo_key = (salt, user_key)
    bucket = _BUCKET_MEMO.get(memo_key)
    if bucket is None:
        data = salt + user_key.encode("utf-8", "surrogatepass")
        digest = hashlib.blake2b(data, digest_size=8).digest()
        bucket = int.from_bytes(digest, "big") % 10_000
        if len(_BUCKET_MEMO) >= _BUCKET_MEMO_LIMIT:
            _BUCKET_MEMO.clear()
        _BUCKET_MEMO[memo_key] = bucket
    return bucket


def make_rule(
    *,
    port_id: int,
    state: str,
    rollout_percent: int,
    allow_list: frozenset[str],
    trial_ends_at: dt.datetime | None,
    daily_launch_quota: int | None,
    host_suspended: bool,
) -> PortRule:
    fixed: Decision | None = None
    if host_suspended:
        fixed = HOST_SUSPENDED
    elif state != "open":
        fixed = _CLOSED_BY_STATE.get(state, NO_PORT)
    elif rollout_percent >= 100 and trial_ends_at is None:
        fixed = Decision(True, "open", port_id)
    salt = port_salt(port_id) if fixed is None and rollout_percent < 100 else b""
    return PortRule(
        port_id,
        state,
        rollout_percent,
        allow_list,
        trial_ends_at,
        daily_launch_quota,
        fixed,
        salt,
    )


def decide(
    snapshot: PortSnapshot, *, client_id: str, appid: str, user_key: str, now: dt.datetime
) -> Decision:
    rule = snapshot.rules.get((client_id, appid))
    if rule is None:
        return NO_PORT
    if rule.fixed is not None:
        return rule.fixed
    if rule.trial_ends_at is not None and now >= rule.trial_ends_at:
        return TRIAL_ENDED
    if rule.rollout_percent < 100 and user_key not in rule.allow_list:
        bucket = rollout_bucket(port_id=rule.port_id, user_key=user_key, salt=rule.salt)
        if bucket >= rule.rollout_percent * 100:
            return NOT_IN_ROLLOUT
    return Decision(True, "open", rule.port_id)


def decide_port(
    snapshot: PortSnapshot, *, client_id: str, appid: str, now: dt.datetime
) -> Decision:
    """The port-level part of ``decide``: open, not suspended, trial running.

    Used where the host's user key is not known (the authorization request) or no longer
    matters (a launch code already issued to a user who was inside the rollout).
    """
    rule = snapshot.rules.get((client_id, appid))
    if rule is None:
        return NO_PORT
    if rule.fixed is not None and not rule.fixed.open:
        return rule.fixed
    if rule.trial_ends_at is not None and now >= rule.trial_ends_at:
        return TRIAL_ENDED
    return Decision(True, "open", rule.port_id)
