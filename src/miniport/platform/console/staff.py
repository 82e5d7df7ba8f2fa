"""Who may use which console: a signed-in user's staff memberships, and the refusals.

Every console page resolves the signed-in user to a ``Staff`` value first. A brand member
acts as that brand (``Actor(BRAND, brand_id)``), a host member as that host app, an
operator as the platform. Asking for a brand or host the user is not a member of answers
``NotFound`` — the same as a brand or host that does not exist — so ids cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.common.i18n import N_
from miniport.platform.accounts.models import StaffMembership, StaffRole
from miniport.platform.accounts.sessions import SignedIn
from miniport.platform.ports.states import Actor, ActorKind


class ConsoleError(Exception):
    """A console request that cannot be served; ``message`` is a translatable msgid."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Forbidden(ConsoleError):
    status_code = 403


class NotFound(ConsoleError):
    status_code = 404


class Invalid(ConsoleError):
    status_code = 400


@dataclass(frozen=True, slots=True)
class Staff:
    user_id: int
    username: str
    display_name: str
    operator: bool
    brand_ids: frozenset[int]
    host_ids: frozenset[str]

    @property
    def any_role(self) -> bool:
        return self.operator or bool(self.brand_ids) or bool(self.host_ids)

    def operator_actor(self) -> Actor:
        if not self.operator:
            raise Forbidden(N_("Only platform operators may use this page."))
        return Actor(ActorKind.OPERATOR, self.username)

    def brand_actor(self, brand_id: int) -> Actor:
        if brand_id not in self.brand_ids:
            raise NotFound(N_("There is no such brand in your console."))
        return Actor(ActorKind.BRAND, str(brand_id))

    def host_actor(self, client_id: str) -> Actor:
        if client_id not in self.host_ids:
            raise NotFound(N_("There is no such host app in your console."))
        return Actor(ActorKind.HOST, client_id)


def load_staff(session: Session, signed_in: SignedIn) -> Staff:
    rows = session.execute(
        select(
            StaffMembership.role, StaffMembership.brand_id, StaffMembership.host_client_id
        ).where(StaffMembership.user_id == signed_in.user_id)
    ).all()
    return Staff(
        user_id=signed_in.user_id,
        username=signed_in.username,
        display_name=signed_in.display_name,
        operator=any(role == StaffRole.OPERATOR for role, _b, _h in rows),
        brand_ids=frozenset(b for role, b, _h in rows if role == StaffRole.BRAND and b is not None),
        host_ids=frozenset(h for role, _b, h in rows if role == StaffRole.HOST and h is not None),
    )
