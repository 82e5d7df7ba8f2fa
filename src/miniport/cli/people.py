"""``miniport user|operator|staff``: platform accounts, and who may use which console.

``staff`` grants and revokes console memberships (operator, a brand's, a host app's); like
``operator create`` it records each change in the audit log with ``--actor``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from miniport.cli import payloads
from miniport.cli.acting import ActorOption, acting
from miniport.cli.context import platform_database
from miniport.cli.output import JsonOption, Output, record, rows
from miniport.common.db import unit_of_work
from miniport.platform.accounts import memberships
from miniport.platform.accounts.models import StaffRole
from miniport.platform.accounts.users import create_user
from miniport.platform.registry import admin
from miniport.platform.registry.admin import UserRecord
from miniport.platform.registry.errors import InvalidRegistration

user_app = typer.Typer(help="Platform user accounts.", no_args_is_help=True)
operator_app = typer.Typer(
    help="Operators: platform staff who manage the registry and open and close ports.",
    no_args_is_help=True,
)
staff_app = typer.Typer(
    help="Console memberships: the operator role, or acting for one brand or one host app.",
    no_args_is_help=True,
)

Username = Annotated[
    str, typer.Option(help="3-32 letters, digits, '.', '_' or '-' (stored lowercase).")
]
DisplayName = Annotated[
    str | None, typer.Option(help="Name shown on pages; defaults to the username.")
]
Password = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="8-256 characters. Omit it to be prompted (keeps it out of shell history); "
        "scripts using --json pass it.",
    ),
]
USER_COLUMNS = ("id", "username", "display_name", "roles", "blocked")


@user_app.command("create")
def user_create(
    username: Username,
    password: Password,
    display_name: DisplayName = None,
    json_output: JsonOption = False,
) -> None:
    """Create a user account."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        user = create_user(
            session,
            db.password_hasher(),
            username=username,
            display_name=display_name or username,
            password=password,
        )
        payload = payloads.user(UserRecord(user=user, roles=()))
    out.emit(payload, lambda console: record(console, "User created", payload))


@user_app.command("list")
def user_list(json_output: JsonOption = False) -> None:
    """List user accounts and their console roles."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        items = [payloads.user(found) for found in admin.list_users(session)]
    out.emit({"users": items}, lambda console: rows(console, "Users", items, USER_COLUMNS))


@user_app.command("show")
def user_show(
    username: Annotated[str, typer.Argument(help="The user's username.")],
    json_output: JsonOption = False,
) -> None:
    """Show one user account (never its password hash)."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        payload = payloads.user(admin.get_user(session, username))
    out.emit(payload, lambda console: record(console, f"User {payload['username']}", payload))


@operator_app.command("create")
def operator_create(
    username: Username,
    password: Password,
    display_name: DisplayName = None,
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a user account with the operator role."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        user = admin.create_operator(
            session,
            db.password_hasher(),
            username=username,
            display_name=display_name or username,
            password=password,
            actor=acting(session, actor),
        )
        payload = payloads.user(admin.get_user(session, user.username))
    out.emit(payload, lambda console: record(console, "Operator created", payload))


# --- staff memberships -------------------------------------------------------------------------

MEMBERSHIP_COLUMNS = ("username", "role", "brand_id", "host_client_id", "created_at")
StaffUsername = Annotated[str, typer.Argument(help="The user's username.")]
OperatorRole = Annotated[
    bool, typer.Option("--operator", help="The operator role (every console, the registry).")
]
BrandMember = Annotated[
    str | None, typer.Option("--brand", help="Act for this brand: its numeric id or slug.")
]
HostMember = Annotated[
    str | None, typer.Option("--host", help="Act for this host app: its client_id or slug.")
]


def _scope(
    session: Session, operator: bool, brand: str | None, host: str | None
) -> tuple[StaffRole, int | None, str | None]:
    """The role and scope named on the command line, with the brand or host app resolved."""
    if sum((operator, brand is not None, host is not None)) != 1:
        raise InvalidRegistration("name exactly one of --operator, --brand or --host", field="role")
    if brand is not None:
        return StaffRole.BRAND, admin.get_brand(session, brand).id, None
    if host is not None:
        return StaffRole.HOST, None, admin.get_host_app(session, host).client_id
    return StaffRole.OPERATOR, None, None


def _membership_payload(found: memberships.Membership) -> dict[str, Any]:
    return {
        "id": found.id,
        "username": found.username,
        "role": found.role.value,
        "brand_id": found.brand_id,
        "host_client_id": found.host_client_id,
        "created_at": found.created_at,
    }


@staff_app.command("grant")
def staff_grant(
    username: StaffUsername,
    operator: OperatorRole = False,
    brand: BrandMember = None,
    host: HostMember = None,
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Let a user into a console: --operator, --brand BRAND or --host HOST (one of them)."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        who = acting(session, actor)
        role, brand_id, client_id = _scope(session, operator, brand, host)
        granted = memberships.grant(
            session,
            username=username,
            role=role,
            brand_id=brand_id,
            host_client_id=client_id,
            actor=who,
        )
        payload = _membership_payload(granted)
    out.emit(payload, lambda console: record(console, "Membership granted", payload))


@staff_app.command("revoke")
def staff_revoke(
    username: StaffUsername,
    operator: OperatorRole = False,
    brand: BrandMember = None,
    host: HostMember = None,
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Take a console membership away; it ends with the user's next page."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        who = acting(session, actor)
        role, brand_id, client_id = _scope(session, operator, brand, host)
        memberships.revoke(
            session,
            username=username,
            role=role,
            brand_id=brand_id,
            host_client_id=client_id,
            actor=who,
        )
        payload = {
            "username": username.strip().lower(),
            "role": role.value,
            "brand_id": brand_id,
            "host_client_id": client_id,
            "revoked": True,
        }
    out.emit(payload, lambda console: record(console, "Membership revoked", payload))


@staff_app.command("list")
def staff_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List console memberships, by user."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        items = [
            _membership_payload(found) for found in memberships.memberships(session, username=user)
        ]
    out.emit(
        {"memberships": items},
        lambda console: rows(console, "Console memberships", items, MEMBERSHIP_COLUMNS),
    )
