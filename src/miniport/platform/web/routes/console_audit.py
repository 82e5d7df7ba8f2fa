"""The audit page (operators): filter by actor, target and time; export CSV or JSON; and
the state of the hash chain.

Each visit verifies only the entries added since the last verified one (``audit.checkpoint``)
so the page stays fast as the log grows; the button below the result walks the whole chain
again, which is what catches an edit to an entry verified on an earlier visit. Moving the
checkpoint forward is the one write a visit makes, in its own short transaction.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniport.common.clock import utcnow
from miniport.common.i18n import N_
from miniport.platform.audit import checkpoint
from miniport.platform.audit.query import AuditFilter, all_matching, search, to_csv, to_json
from miniport.platform.console.staff import Invalid
from miniport.platform.web.deps import DbSession, ReadDbSession, RuntimeDep
from miniport.platform.web.routes.console_common import (
    HtmlForm,
    StaffDep,
    check_csrf,
    page,
    see_other,
)

router = APIRouter(include_in_schema=False)

MAX_FILTER = 128


def _param(request: Request, name: str) -> str:
    value = request.query_params.get(name, "")
    return value[:MAX_FILTER]


def _time(value: str) -> dt.datetime | None:
    """A ``datetime-local`` or date value, read as UTC (the page says so)."""
    if not value.strip():
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(N_("The time filter is not a valid date and time.")) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@router.get("/console/ops/audit")
def ops_audit(
    request: Request, staff: StaffDep, db: ReadDbSession, runtime: RuntimeDep
) -> Response:
    staff.operator_actor()
    values = {name: _param(request, name) for name in ("actor", "target", "since", "until")}
    flt = AuditFilter(
        actor=values["actor"],
        target=values["target"],
        since=_time(values["since"]),
        until=_time(values["until"]),
    )
    fmt = request.query_params.get("format", "")
    if fmt in ("csv", "json"):
        entries = all_matching(db, flt)
        body = to_csv(entries) if fmt == "csv" else to_json(entries)
        media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
        return Response(
            body,
            media_type=media,
            headers={
                "Content-Disposition": f'attachment; filename="miniport-audit.{fmt}"',
                "Cache-Control": "no-store",
            },
        )
    progress = checkpoint.verify_new(db)
    if progress.to_record:
        # Read above in a read-only transaction; only this small update takes the write lock.
        with runtime.sessions() as session, session.begin():
            checkpoint.record(session, progress, now=utcnow())
    context = {
        "entries": search(db, flt),
        "filters": values,
        "check": progress.result,
        "progress": progress,
    }
    return page(request, "audit.html", staff, context)


@router.post("/console/ops/audit/verify")
def ops_audit_verify(
    request: Request, staff: StaffDep, read: ReadDbSession, db: DbSession, form: HtmlForm
) -> Response:
    """Walk the whole chain from the first entry, as ``miniport audit verify`` does."""
    staff.operator_actor()
    check_csrf(request, form)
    progress = checkpoint.verify_full(read)
    checkpoint.record(db, progress, now=utcnow())
    db.commit()
    # A failed walk dropped the checkpoint: the page walks from the start and shows the break.
    return see_other("/console/ops/audit", "verified" if progress.result.ok else "")
