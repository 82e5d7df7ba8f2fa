"""The port state machine: states, who may make each move, and the refusal of illegal ones.

::

     requested --brand approves / auto-approve--> open --platform or brand closes--> closed
         |  \\--brand rejects / auto-refuse--> rejected    \\--trial window ends--> expired
         \\--host withdraws--> withdrawn                closed --platform reopens--> open
                                                       expired --platform reopens--> open
     rejected / withdrawn / expired --host applies again--> requested

A port closed by the platform or the brand stays closed until the platform reopens it:
applying again is refused, so a host cannot route around a close through the brand.
Suspending a host app is not a port state; it overlays every port of that host.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PortState(StrEnum):
    REQUESTED = "requested"
    OPEN = "open"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    EXPIRED = "expired"


class ActorKind(StrEnum):
    HOST = "host"
    BRAND = "brand"
    OPERATOR = "operator"
    SYSTEM = "system"


class ReasonCategory(StrEnum):
    REQUEST = "request"
    POLICY = "policy"
    SECURITY = "security"
    PARTNER_REQUEST = "partner_request"
    TRIAL_ENDED = "trial_ended"
    OTHER = "other"


class PortPolicy(StrEnum):
    REVIEW = "review"
    AUTO_APPROVE = "auto_approve"
    AUTO_REFUSE = "auto_refuse"


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM, "miniport")

    def for_partners(self) -> dict[str, str]:
        return partner_actor(self.kind, self.id)


def partner_actor(kind: str, actor_id: str) -> dict[str, str]:
    """An actor as partners see it (API answers, webhooks): that an operator acted, never
    which staff member; hosts, brands and the system by id."""
    if kind == ActorKind.OPERATOR:
        return {"kind": kind}
    return {"kind": kind, "id": actor_id}


class PortError(Exception):
    """A port operation that cannot be done; ``code`` is stable for API clients."""

    code = "port_error"


class IllegalTransition(PortError):
    code = "illegal_transition"


class NotAllowed(PortError):
    code = "not_allowed"


class PortNotFound(PortError):
    code = "port_not_found"


class InvalidStaging(PortError):
    code = "invalid_staging"


class StaleVersion(PortError):
    code = "stale_version"


S, A = PortState, ActorKind

# (from, to) -> the actor kinds that may make the move.
TRANSITIONS: dict[tuple[PortState | None, PortState], frozenset[ActorKind]] = {
    (None, S.REQUESTED): frozenset({A.HOST, A.OPERATOR}),
    (S.REJECTED, S.REQUESTED): frozenset({A.HOST, A.OPERATOR}),
    (S.WITHDRAWN, S.REQUESTED): frozenset({A.HOST, A.OPERATOR}),
    (S.EXPIRED, S.REQUESTED): frozenset({A.HOST, A.OPERATOR}),
    (S.REQUESTED, S.OPEN): frozenset({A.BRAND, A.OPERATOR, A.SYSTEM}),
    (S.REQUESTED, S.REJECTED): frozenset({A.BRAND, A.OPERATOR, A.SYSTEM}),
    (S.REQUESTED, S.WITHDRAWN): frozenset({A.HOST}),
    (S.OPEN, S.CLOSED): frozenset({A.BRAND, A.OPERATOR}),
    (S.OPEN, S.EXPIRED): frozenset({A.SYSTEM}),
    (S.CLOSED, S.OPEN): frozenset({A.OPERATOR}),
    (S.EXPIRED, S.OPEN): frozenset({A.OPERATOR}),
}


def check_transition(current: PortState | None, target: PortState, actor: Actor) -> None:
    """Refuse a move the machine does not have, or one this kind of actor may not make."""
    allowed = TRANSITIONS.get((current, target))
    if allowed is None:
        raise IllegalTransition(f"a port cannot go from {current or 'nothing'} to {target}")
    if actor.kind not in allowed:
        raise NotAllowed(
            f"a {actor.kind} cannot move a port from {current or 'nothing'} to {target}"
        )
