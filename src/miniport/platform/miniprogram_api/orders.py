"""``POST /wxa/report_order`` — a mini program reports a paid order, for the close preview.

The platform never sees a brand's orders: they live in the brand's own store. What it can
know, and what the operator weighs before closing a port, is how many orders came in through
that host app. So a mini program's server reports each paid order, and the platform
attributes it to a host:

- body ``{"openid", "order_id", "amount", "currency", "paid_time"}``: ``openid`` as
  ``jscode2session`` gave it; ``order_id`` the store's own id (1–64 characters of
  ``A–Z a–z 0–9 _ - .``); ``amount`` an integer in the currency's minor unit (fen);
  ``currency`` three capital letters, ``CNY`` when absent; ``paid_time`` in unix seconds,
  within the last 30 days and not more than 5 minutes ahead of the platform's clock;
- the order goes to the host of the user's last exchanged launch of that mini program up to
  ``paid_time`` (with 5 minutes for clock skew between the two servers), found by the
  openid the exchange recorded; an order from a user who never came through a host is kept
  unattributed;
- idempotent by ``order_id``: reporting the same order again answers as the first report
  did, with ``"duplicate": true``; the same ``order_id`` with other values is refused
  (40097), since one of the two reports must be wrong.

Answer: ``{"errcode": 0, "errmsg": "ok", "order_id", "host_client_id" (null when
unattributed), "duplicate"}``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from miniport.platform.miniprogram_api import params
from miniport.platform.miniprogram_api.context import ApiContext
from miniport.platform.miniprogram_api.errors import BadParameters
from miniport.platform.miniprogram_api.models import LaunchCode, OrderReport
from miniport.platform.miniprogram_api.urllink import calling_mini_program

CLOCK_SKEW = dt.timedelta(minutes=5)
MAX_AGE = dt.timedelta(days=30)
MAX_AMOUNT = 10**12  # ten billion yuan in fen: more is a unit mistake, not an order
_ORDER_ID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_OPENID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_REPORTS = cast(Table, OrderReport.__table__)
_CODES = cast(Table, LaunchCode.__table__)


@dataclass(frozen=True, slots=True)
class ReportedOrder:
    order_id: str
    host_client_id: str | None
    duplicate: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "errcode": 0,
            "errmsg": "ok",
            "order_id": self.order_id,
            "host_client_id": self.host_client_id,
            "duplicate": self.duplicate,
        }


@dataclass(frozen=True, slots=True)
class _Order:
    openid: str
    order_id: str
    amount: int
    currency: str
    paid_at: dt.datetime


def _read(body: dict[str, Any], now: dt.datetime) -> _Order:
    openid = params.required_text(body, "openid", max_length=64)
    if not _OPENID.fullmatch(openid):
        raise BadParameters("invalid args: openid is not an openid")
    order_id = params.required_text(body, "order_id", max_length=64)
    if not _ORDER_ID.fullmatch(order_id):
        raise BadParameters("invalid args: order_id may hold only A-Z a-z 0-9 _ - .")
    amount = params.integer(body, "amount")
    if amount is None:
        raise BadParameters("invalid args: amount (an integer in fen) is required")
    if not 0 <= amount <= MAX_AMOUNT:
        raise BadParameters(f"invalid args: amount must be 0 to {MAX_AMOUNT}")
    currency = params.text(body, "currency", max_length=3) or "CNY"
    if not _CURRENCY.fullmatch(currency):
        raise BadParameters("invalid args: currency must be three capital letters")
    paid_time = params.integer(body, "paid_time")
    if paid_time is None:
        raise BadParameters("invalid args: paid_time (unix seconds) is required")
    earliest, latest = now - MAX_AGE, now + CLOCK_SKEW
    if not earliest.timestamp() <= paid_time <= latest.timestamp():
        raise BadParameters(
            "invalid args: paid_time must lie within the last 30 days, not in the future"
        )
    paid_at = dt.datetime.fromtimestamp(paid_time, dt.UTC)
    return _Order(openid, order_id, amount, currency, paid_at)


def _last_launch(session: Session, appid: str, order: _Order) -> tuple[str, int] | None:
    """The host and port of the user's last exchanged launch before the order was paid."""
    row = session.execute(
        select(_CODES.c.client_id, _CODES.c.port_id)
        .where(
            _CODES.c.appid == appid,
            _CODES.c.openid == order.openid,
            _CODES.c.used_at.is_not(None),
            _CODES.c.used_at <= order.paid_at + CLOCK_SKEW,
        )
        .order_by(_CODES.c.used_at.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def _existing(session: Session, appid: str, order_id: str) -> Any:
    return session.execute(
        select(
            _REPORTS.c.openid,
            _REPORTS.c.amount,
            _REPORTS.c.currency,
            _REPORTS.c.paid_at,
            _REPORTS.c.client_id,
        ).where(_REPORTS.c.appid == appid, _REPORTS.c.order_id == order_id)
    ).first()


def _same_order(row: Any, order: _Order) -> ReportedOrder:
    if (row.openid, row.amount, row.currency, row.paid_at) != (
        order.openid,
        order.amount,
        order.currency,
        order.paid_at,
    ):
        raise BadParameters(
            f"invalid args: order {order.order_id} was already reported with other values"
        )
    return ReportedOrder(order.order_id, row.client_id, duplicate=True)


def report_order(
    session: Session, context: ApiContext, *, access_token: str | None, body: dict[str, Any]
) -> ReportedOrder:
    """Record one paid order of the calling mini program (the caller commits)."""
    appid = calling_mini_program(context, access_token).appid
    order = _read(body, context.now)
    launch = _last_launch(session, appid, order)
    client_id, port_id = launch if launch is not None else (None, None)
    values = {
        "appid": appid,
        "order_id": order.order_id,
        "openid": order.openid,
        "amount": order.amount,
        "currency": order.currency,
        "paid_at": order.paid_at,
        "reported_at": context.now,
        "client_id": client_id,
        "port_id": port_id,
    }
    # A report seen before (a retry, or two racing): the unique (appid, order_id) keeps the
    # first row, and this report is answered from it instead of failing the transaction.
    insert = (
        postgresql.insert(_REPORTS)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(_REPORTS)
    )
    # RETURNING tells which report won (rowcount is -1 on PostgreSQL for such an insert).
    inserted = session.execute(
        insert.values(**values)
        .on_conflict_do_nothing(index_elements=["appid", "order_id"])
        .returning(_REPORTS.c.id)
    ).first()
    if inserted is None:
        return _same_order(_existing(session, appid, order.order_id), order)
    return ReportedOrder(order.order_id, client_id, duplicate=False)


def orders_since(session: Session, *, client_id: str, appid: str | None, since: dt.datetime) -> int:
    """Orders attributed to a host (and one of its mini programs, when given) paid since."""
    conditions: list[ColumnElement[bool]] = [
        _REPORTS.c.client_id == client_id,
        _REPORTS.c.paid_at >= since,
    ]
    if appid is not None:
        conditions.append(_REPORTS.c.appid == appid)
    return int(session.scalar(select(func.count()).select_from(_REPORTS).where(*conditions)) or 0)
