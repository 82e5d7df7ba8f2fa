"""``miniport user|operator``: platform accounts, and the staff who operate the platform."""

from __future__ import annotations

from typing import Annotated

import typer

from miniport.cli import payloads
from miniport.cli.context import platform_database
from miniport.cli.output import JsonOption, Output, record, rows
from miniport.common.db import unit_of_work
from miniport.platform.accounts.users import create_user
from miniport.platform.registry import admin
from miniport.platform.registry.admin import UserRecord

user_app = typer.Typer(help="Platform user accounts.", no_args_is_help=True)
operator_app = typer.Typer(
    help="Operators: platform staff who manage the registry and open and close ports.",
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
        )
        payload = payloads.user(admin.get_user(session, user.username))
    out.emit(payload, lambda console: record(console, "Operator created", payload))
