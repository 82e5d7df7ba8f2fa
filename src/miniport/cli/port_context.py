"""What every ``miniport port`` command needs: the acting operator, a database whose commits
are announced on the change bus, port refusals reported like every other failure, and the
options the commands share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from miniport.cli.context import PlatformDatabase, announcing, platform_database
from miniport.cli.output import Output
from miniport.platform.accounts.models import StaffRole
from miniport.platform.ports.states import (
    Actor,
    ActorKind,
    NotAllowed,
    PortError,
    ReasonCategory,
)
from miniport.platform.registry import admin


class CloseCategory(StrEnum):
    POLICY = ReasonCategory.POLICY.value
    SECURITY = ReasonCategory.SECURITY.value
    PARTNER_REQUEST = ReasonCategory.PARTNER_REQUEST.value
    OTHER = ReasonCategory.OTHER.value


OperatorOption = Annotated[
    str,
    typer.Option(
        "--operator",
        "--actor",
        help="Your username; it must hold the operator role. Recorded in the history. "
        "(--actor, as on the registry commands, is the same option.)",
    ),
]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (recorded in the history and sent in webhooks).")
]
CategoryOption = Annotated[
    CloseCategory, typer.Option("--category", help="The kind of reason, for reports.")
]
PortIdArgument = Annotated[int, typer.Argument(help="The port's id (see `miniport port list`).")]
HostArgument = Annotated[str, typer.Argument(help="The host app: its client_id or slug.")]
VersionOption = Annotated[
    int | None,
    typer.Option(
        "--expected-version",
        help="Refuse if the port changed since you looked (its version from `port show`).",
    ),
]


class UsageProblem(PortError):
    """A value on the command line the command cannot use."""

    code = "invalid_request"


@contextmanager
def changing(out: Output) -> Iterator[PlatformDatabase]:
    """The database, with committed changes announced on the bus; failures reported."""
    with (
        out.reported(),
        port_errors_reported(out),
        platform_database() as db,
        announcing(db),
    ):
        yield db


@contextmanager
def reading(out: Output) -> Iterator[Session]:
    with (
        out.reported(),
        port_errors_reported(out),
        platform_database() as db,
        db.sessions() as session,
    ):
        yield session


@contextmanager
def port_errors_reported(out: Output) -> Iterator[None]:
    try:
        yield
    except PortError as error:
        out.fail(f"{error.code}: {error}")


def operator(session: Session, username: str) -> Actor:
    """The actor for ``username``, who must be an unblocked user with the operator role."""
    found = admin.get_user(session, username)
    if StaffRole.OPERATOR.value not in found.roles:
        raise NotAllowed(f"user {found.user.username!r} does not hold the operator role")
    if found.user.blocked:
        raise NotAllowed(f"user {found.user.username!r} is blocked")
    return Actor(ActorKind.OPERATOR, found.user.username)


def required(text: str, option: str) -> str:
    if not text.strip():
        raise UsageProblem(f"{option} must not be empty")
    return text.strip()


def trial_end(value: str | None, current: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return current
    if value.strip().lower() == "none":
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageProblem("--trial-ends-at must be an ISO 8601 time, or none") from None
    if parsed.tzinfo is None:
        raise UsageProblem("--trial-ends-at needs a time zone, e.g. 2026-12-01T00:00:00Z")
    return parsed.astimezone(dt.UTC)


def quota_value(value: str | None, current: int | None) -> int | None:
    if value is None:
        return current
    if value.strip().lower() == "none":
        return None
    if not value.strip().isdigit():
        raise UsageProblem("--quota must be a whole number of launches a day, or none")
    return int(value)
