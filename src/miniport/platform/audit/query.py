"""Reading the audit log: filtering by actor, target and time, and exporting CSV or JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from miniport.platform.audit.chain import entry_fields
from miniport.platform.audit.models import AuditEntry

EXPORT_COLUMNS = (
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "actor_user",
    "action",
    "target_kind",
    "target_id",
    "before",
    "after",
    "reason_category",
    "reason_text",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Each field narrows the result; ``actor`` and ``target`` match the id or ``kind:id``."""

    actor: str = ""
    target: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    action: str = ""


def _match(kind_column: Any, id_column: Any, value: str) -> Any:
    kind, sep, ident = value.partition(":")
    if sep and kind and ident:
        return (kind_column == kind) & (id_column == ident)
    return or_(id_column == value, kind_column == value)


def _query(flt: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if flt.actor.strip():
        actor = flt.actor.strip()
        query = query.where(
            or_(
                _match(AuditEntry.actor_kind, AuditEntry.actor_id, actor),
                AuditEntry.actor_user == actor,
            )
        )
    if flt.target.strip():
        query = query.where(
            _match(AuditEntry.target_kind, AuditEntry.target_id, flt.target.strip())
        )
    if flt.action.strip():
        query = query.where(AuditEntry.action == flt.action.strip())
    if flt.since is not None:
        query = query.where(AuditEntry.at >= flt.since)
    if flt.until is not None:
        query = query.where(AuditEntry.at < flt.until)
    return query


def search(session: Session, flt: AuditFilter, *, limit: int = 200) -> list[AuditEntry]:
    """The newest matching entries first."""
    return list(session.scalars(_query(flt).order_by(AuditEntry.seq.desc()).limit(limit)))


def all_matching(session: Session, flt: AuditFilter) -> Iterable[AuditEntry]:
    """Every matching entry in chain order, streamed (for exports)."""
    query = _query(flt).order_by(AuditEntry.seq).execution_options(yield_per=500)
    return session.scalars(query)


def as_record(entry: AuditEntry) -> dict[str, Any]:
    return entry_fields(entry) | {
        "at": entry.at.isoformat(),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def to_json(entries: Iterable[AuditEntry]) -> str:
    return json.dumps([as_record(e) for e in entries], ensure_ascii=False, indent=2) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    if not isinstance(value, str):
        return text
    # Spreadsheets run cells starting with these as formulas; a reason text is user input.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(entries: Iterable[AuditEntry], columns: Sequence[str] = EXPORT_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for entry in entries:
        record = as_record(entry)
        writer.writerow([_cell(record[column]) for column in columns])
    return out.getvalue()
