"""The root ``miniport`` command and the sub-commands it gathers."""

from __future__ import annotations

from typing import Annotated

import typer

import miniport
from miniport.cli.audit import audit_app
from miniport.cli.demo import demo
from miniport.cli.keys import keys_app
from miniport.cli.output import JsonAwareGroup
from miniport.cli.people import operator_app, staff_app, user_app
from miniport.cli.ports import port_app
from miniport.cli.registry import brand_app, host_app, mp_app
from miniport.cli.serve import db_app, serve_app
from miniport.cli.webhooks import webhooks_app
from miniport.host.cli import serve_host
from miniport.shop.cli import serve_shop

app = typer.Typer(
    cls=JsonAwareGroup,
    name="miniport",
    help=(
        "miniport: a super-app platform that lets partner host apps run brands' mini "
        "programs, port by port.\n\n"
        "Settings come from MINIPORT_PLATFORM_* environment variables (see README). "
        "Registry commands take --json to print exactly one JSON object."
    ),
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(serve_app, name="serve")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(operator_app, name="operator")
app.add_typer(staff_app, name="staff")
app.add_typer(brand_app, name="brand")
app.add_typer(mp_app, name="mp")
app.add_typer(host_app, name="host")
app.add_typer(keys_app, name="keys")
app.add_typer(port_app, name="port")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(audit_app, name="audit")
serve_app.command("host")(serve_host)
serve_app.command("shop")(serve_shop)
app.command("demo")(demo)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"miniport {miniport.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_show_version, is_eager=True
        ),
    ] = False,
) -> None:
    """miniport: run brands' mini programs inside partner apps, under the platform's control."""
