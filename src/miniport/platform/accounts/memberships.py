"""Granting and revoking console memberships (``StaffMembership``), each one audited.

A membership lets a user into a console: ``operator`` (the platform's, no scope), ``brand``
(one brand entity, by id) or ``host`` (one host app, by client id). A user may hold several.
Revoking takes effect on the next request: consoles read memberships on every page.

Failures raise the registry's error family (``NotRegistered`` for an unknown user, brand or
host app or a membership that is not held, ``AlreadyRegistered`` for one that is,
``InvalidRegistration`` for a scope that does not fit the role), whose messages are fit to
show an operator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.accounts.models import StaffMembership, StaffRole, User
from miniport.platform.accounts.users import find_user
from miniport.platform.audit.changes import record_change
from miniport.platform.ports.states import Actor
from miniport.platform.registry.errors import AlreadyRegistered, InvalidRegistration, NotRegistered
from miniport.platform.registry.lookup import find_brand, find_host_app


@dataclass(frozen=True, slots=True)
class Membership:
    """One membership with its user's name, as lists show it."""

    id: int
    username: str
    role: StaffRole
    brand_id: int | None
    host_client_id: str | None
    created_at: dt.datetime


def _scope(role: StaffRole, brand_id: int | None, host_client_id: str | None) -> dict[str, Any]:
    """What the audit log records of a membership (no id: the role and scope name it)."""
    found: dict[str, Any] = {"role": role.value}
    if role is StaffRole.BRAND:
        found["brand_id"] = brand_id
    elif role is StaffRole.HOST:
        found["host_client_id"] = host_client_id
    return found


def _user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotRegistered(f"no user {username.strip().lower()!r}", field="username")
    return user


def _check_scope(
    session: Session, role: StaffRole, brand_id: int | None, host_client_id: str | None
) -> None:
    if role is StaffRole.OPERATOR:
        if brand_id is not None or host_client_id is not None:
            raise InvalidRegistration("the operator role has no brand or host app", field="role")
    elif role is StaffRole.BRAND:
        if brand_id is None or host_client_id is not None:
            raise InvalidRegistration("a brand membership names one brand", field="brand")
        if find_brand(session, brand_id) is None:
            raise NotRegistered(f"no brand with id {brand_id}", field="brand")
    elif host_client_id is None or brand_id is not None:
        raise InvalidRegistration("a host membership names one host app", field="host")
    elif find_host_app(session, host_client_id) is None:
        raise NotRegistered(f"no host app {host_client_id!r}", field="host")


def _held(
    session: Session,
    user: User,
    role: StaffRole,
    brand_id: int | None,
    host_client_id: str | None,
) -> StaffMembership | None:
    return session.scalar(
        select(StaffMembership)
        .where(
            StaffMembership.user_id == user.id,
            StaffMembership.role == role.value,
            StaffMembership.brand_id.is_(None)
            if brand_id is None
            else StaffMembership.brand_id == brand_id,
            StaffMembership.host_client_id.is_(None)
            if host_client_id is None
            else StaffMembership.host_client_id == host_client_id,
        )
        .order_by(StaffMembership.id)
        .limit(1)
    )


def _describe(role: StaffRole, brand_id: int | None, host_client_id: str | None) -> str:
    if role is StaffRole.BRAND:
        return f"a member of brand {brand_id}"
    if role is StaffRole.HOST:
        return f"a member of host app {host_client_id}"
    return "an operator"


def grant(
    session: Session,
    *,
    username: str,
    role: StaffRole,
    brand_id: int | None = None,
    host_client_id: str | None = None,
    actor: Actor,
    now: dt.datetime | None = None,
) -> Membership:
    """Give ``username`` a console role (flushed, not committed); refuses a duplicate."""
    user = _user(session, username)
    _check_scope(session, role, brand_id, host_client_id)
    if _held(session, user, role, brand_id, host_client_id) is not None:
        raise AlreadyRegistered(
            f"user {user.username!r} is already {_describe(role, brand_id, host_client_id)}",
            field="role",
        )
    membership = StaffMembership(
        user_id=user.id, role=role.value, brand_id=brand_id, host_client_id=host_client_id
    )
    session.add(membership)
    session.flush()
    record_change(
        session,
        actor,
        "staff.granted",
        target=("user", user.username),
        at=now or utcnow(),
        after=_scope(role, brand_id, host_client_id),
    )
    return _view(membership, user.username)


def revoke(
    session: Session,
    *,
    username: str,
    role: StaffRole,
    brand_id: int | None = None,
    host_client_id: str | None = None,
    actor: Actor,
    now: dt.datetime | None = None,
) -> None:
    """Take a console role away from ``username`` (flushed, not committed)."""
    user = _user(session, username)
    membership = _held(session, user, role, brand_id, host_client_id)
    if membership is None:
        raise NotRegistered(
            f"user {user.username!r} is not {_describe(role, brand_id, host_client_id)}",
            field="role",
        )
    session.delete(membership)
    session.flush()
    record_change(
        session,
        actor,
        "staff.revoked",
        target=("user", user.username),
        at=now or utcnow(),
        before=_scope(role, brand_id, host_client_id),
    )


def memberships(session: Session, *, username: str | None = None) -> list[Membership]:
    """Every membership (or one user's), by user then in the order they were granted."""
    query = (
        select(StaffMembership, User.username)
        .join(User, User.id == StaffMembership.user_id)
        .order_by(User.username, StaffMembership.id)
    )
    if username is not None:
        query = query.where(StaffMembership.user_id == _user(session, username).id)
    return [_view(row, name) for row, name in session.execute(query)]


def _view(row: StaffMembership, username: str) -> Membership:
    return Membership(
        id=row.id,
        username=username,
        role=StaffRole(row.role),
        brand_id=row.brand_id,
        host_client_id=row.host_client_id,
        created_at=row.created_at,
    )
