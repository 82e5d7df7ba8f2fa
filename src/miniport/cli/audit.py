"""``miniport audit``: check the tamper-evident audit log, and export it."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from miniport.cli.context import platform_database
from miniport.cli.output import JsonOption, Output
from miniport.common.clock import utcnow
from miniport.platform.audit.chain import GENESIS, verify
from miniport.platform.audit.checkpoint import Progress, record
from miniport.platform.audit.query import AuditFilter, all_matching, to_csv, to_json

audit_app = typer.Typer(
    help="The audit log: every port, host, secret and grant decision, chained by SHA-256.",
    no_args_is_help=True,
)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def _when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@audit_app.command("verify")
def audit_verify(
    expect_head: Annotated[
        str | None,
        typer.Option(help="The head hash recorded earlier elsewhere; a different head fails."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Walk the whole chain; print OK and the head, or the first broken link (exit 1).

    The console's audit page hears of the result: a break drops its checkpoint, so the page
    walks from the first entry and shows the break too; a pass moves it to the head."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        result = verify(session, expected_head=expect_head)
        full_walk = Progress(result=result, start_seq=0, start_hash=GENESIS, full_verified_at=None)
        record(session, full_walk, now=utcnow())
        session.commit()
    payload = {
        "ok": result.ok,
        "checked": result.checked,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
        "broken_seq": result.broken_seq,
        "problem": str(result.problem) if result.problem else None,
        "detail": result.detail,
    }
    out.emit(payload, lambda console: console.print(result.describe(), markup=False))
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or json.")] = ExportFormat.CSV,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    actor: Annotated[str, typer.Option(help="Only this actor (id, kind:id or person).")] = "",
    target: Annotated[str, typer.Option(help="Only this target (id or kind:id).")] = "",
    since: Annotated[str | None, typer.Option(help="From this ISO time (UTC if no zone).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this ISO time.")] = None,
) -> None:
    """Export the log (or the entries matching the filters) in chain order."""
    out = Output(False)
    with out.reported(), platform_database() as db, db.sessions() as session:
        try:
            flt = AuditFilter(actor=actor, target=target, since=_when(since), until=_when(until))
        except ValueError as error:
            out.fail(f"not an ISO time: {error}")
        entries = all_matching(session, flt)
        text = to_csv(entries) if fmt is ExportFormat.CSV else to_json(entries)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
