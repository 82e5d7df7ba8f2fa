"""How commands answer: one JSON object on stdout with ``--json``, Rich text otherwise.

Every failure a user can cause (bad input, a duplicate, an unknown id, an out-of-date schema,
an unusable setting) ends the command through ``Output.fail``: exit code 1 with
``{"error": "..."}`` in JSON mode, or a one-line message on stderr. Usage errors that Typer
detects itself (a missing option, an unknown option) exit with 2, also as JSON when the
command line asked for ``--json``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from miniport.common.clock import as_utc
from miniport.common.migrate import SchemaOutOfDate
from miniport.common.settings import SettingsError, invalid_settings
from miniport.platform.accounts.users import AccountError
from miniport.platform.registry.errors import RegistryError

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print exactly one JSON object on stdout instead of text.")
]

Payload = Mapping[str, Any]


def _json_line(payload: Payload) -> str:
    # ensure_ascii=False keeps 古驰 readable for people and is still valid JSON for scripts.
    return json.dumps(payload, ensure_ascii=False, default=_encode)


def _encode(value: object) -> str:
    if isinstance(value, dt.datetime):
        return as_utc(value).isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def settings_problem(error: ValidationError) -> str:
    """One line per bad setting, named as the environment variable people set."""
    return invalid_settings(error, prefix="MINIPORT_PLATFORM_")


class Output:
    """The one place a command writes its result or its failure."""

    def __init__(self, json_mode: bool) -> None:
        self.json_mode = json_mode

    @property
    def console(self) -> Console:
        # Built on use, not at import, so it writes to whatever sys.stdout is now (tests swap it).
        return Console(highlight=False)

    def emit(self, payload: Payload, human: Callable[[Console], None]) -> None:
        if self.json_mode:
            typer.echo(_json_line(payload))
        else:
            human(self.console)

    def fail(self, message: str, *, exit_code: int = 1) -> NoReturn:
        if self.json_mode:
            typer.echo(_json_line({"error": message}))
        else:
            Console(stderr=True, highlight=False, soft_wrap=True).print(
                f"[bold red]error:[/] {escape(message)}"
            )
        raise typer.Exit(exit_code)

    @contextmanager
    def reported(self) -> Iterator[None]:
        """Turn the failures a user can cause into ``fail``; anything else is a bug and raises."""
        try:
            yield
        except (RegistryError, AccountError, SchemaOutOfDate, SettingsError) as error:
            self.fail(str(error))
        except ValidationError as error:
            self.fail(settings_problem(error))
        except OperationalError as error:
            self.fail(f"cannot use the platform database: {error.orig}")


class JsonAwareGroup(TyperGroup):
    """The root command group: reports usage errors as JSON when ``--json`` was given."""

    # ``ctx`` is Typer's Context; its declared base type lives in Typer's private vendored
    # Click, so it is left as Any rather than imported from there.
    def invoke(self, ctx: Any) -> Any:
        # Everything after the first sub-command name is in ctx.args, --json included.
        wants_json = "--json" in ctx.args
        try:
            return super().invoke(ctx)
        except typer.TyperException as error:
            # Typer's usage errors (missing option, bad value, unknown option) derive from it.
            if not wants_json:
                raise
            typer.echo(_json_line({"error": error.format_message()}))
            raise typer.Exit(error.exit_code) from error
        except typer.Abort as error:
            # A prompt that got no answer (end of input); scripts pass the value as an option.
            if not wants_json:
                raise
            typer.echo(_json_line({"error": "aborted: no answer to a prompt"}))
            raise typer.Exit(1) from error


# --- human rendering ---------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return f"{as_utc(value):%Y-%m-%d %H:%M:%S} UTC"
    if isinstance(value, list | tuple):
        return "\n".join(str(item) for item in value) or "—"
    return str(value)


def record(console: Console, title: str, payload: Payload, *, hide: Sequence[str] = ()) -> None:
    table = Table(title=title, show_header=False, title_justify="left", box=None, pad_edge=False)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in payload.items():
        if key not in hide:
            table.add_row(key, escape(_cell(value)))
    console.print(table)


def rows(console: Console, title: str, items: Sequence[Payload], columns: Sequence[str]) -> None:
    if not items:
        console.print(f"{escape(title)}: none yet.")
        return
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(*(escape(_cell(item.get(column))) for column in columns))
    console.print(table)


def secret(console: Console, label: str, value: str) -> None:
    """Show a freshly generated secret once, saying plainly that it cannot be shown again."""
    console.print(f"[bold yellow]{escape(label)} (shown once):[/]")
    # On a line of its own and never wrapped, so it can be copied whole.
    console.print(value, soft_wrap=True, highlight=False, markup=False)
    console.print(
        "[yellow]Store it now: it is kept only as a hash and will not be shown again. "
        "If it is lost, rotate it.[/]"
    )
