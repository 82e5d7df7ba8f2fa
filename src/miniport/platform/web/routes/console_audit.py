"""The audit page (operators): filter by actor, target and time; export CSV or JSON; and
the result of verifying the whole hash chain, shown every time the page is opened."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from miniport.common.i18n import N_
from miniport.platform.audit.chain import verify
from miniport.platform.audit.query import AuditFilter, all_matching, search, to_csv, to_json
from miniport.platform.console.staff import Invalid
from miniport.platform.web.deps import ReadDbSession
from miniport.platform.web.routes.console_common import StaffDep, page

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
def ops_audit(request: Request, staff: StaffDep, db: ReadDbSession) -> Response:
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
    context = {"entries": search(db, flt), "filters": values, "check": verify(db)}
    return page(request, "audit.html", staff, context)
