"""Telling the platform about paid orders (``/wxa/report_order``), at least once.

The platform's operator sees, before closing a port, how many orders came in through that
host app; only the store knows its orders, so it reports each one once it is paid. The
report is sent after the payment's transaction has committed, never inside it: a platform
that is slow or away must not hold up or fail a customer's payment. So the order row itself
is the outbox. A paid order with neither ``platform_reported_at`` nor
``platform_report_error`` set is still to be reported, and ``OrderReportWorker`` sweeps such
orders after every payment and every ``interval`` seconds.

The worker may crash after the platform recorded a report and before the order is marked.
Then the next sweep sends the report again, and the platform, idempotent by order id,
answers ``duplicate``. Either way the order is counted once.

What stops a report:

- the platform is unreachable or busy, or refuses the store's credentials: the sweep stops
  and the next one tries again (the order is not at fault);
- the platform refuses this order (40097, 47001: too old, or reported before with other
  values): the reason is kept in ``platform_report_error`` and the order is not sent again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.sdk.errors import InvalidParameters, MalformedData, MiniportError
from miniport.sdk.models import ReportedOrder
from miniport.shop.customers.models import Customer
from miniport.shop.orders.models import Order

log = logging.getLogger(__name__)

BATCH = 100
# The order's own fault: sending it again would be refused again.
_REFUSALS = (InvalidParameters, MalformedData)


class OrderReporter(Protocol):
    """What reporting needs of the platform (``miniport.sdk.MiniProgramClient``)."""

    def report_order(
        self,
        *,
        openid: str,
        order_id: str,
        amount: int,
        paid_at: dt.datetime,
        currency: str = "CNY",
    ) -> ReportedOrder: ...


@dataclass(frozen=True, slots=True)
class SweepResult:
    reported: int = 0
    refused: int = 0
    # The error that stopped the sweep early, if one did (the rest waits for the next).
    stopped_by: str | None = None


@dataclass(frozen=True, slots=True)
class _Unreported:
    order_id: int
    number: str
    openid: str
    amount: int
    currency: str
    paid_at: dt.datetime


def unreported(session: Session, *, limit: int = BATCH) -> list[_Unreported]:
    """Paid orders the platform has not acknowledged yet, oldest payment first."""
    rows = session.execute(
        select(
            Order.id,
            Order.number,
            Customer.openid,
            Order.total_cents,
            Order.currency,
            Order.paid_at,
        )
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            Order.paid_at.is_not(None),
            Order.platform_reported_at.is_(None),
            Order.platform_report_error.is_(None),
        )
        .order_by(Order.paid_at, Order.id)
        .limit(limit)
    ).all()
    return [
        _Unreported(order_id, number, openid, amount, currency, paid_at)
        for order_id, number, openid, amount, currency, paid_at in rows
        if paid_at is not None  # the query's own condition, for the type checker
    ]


def _mark(sessions: sessionmaker[Session], order_id: int, **values: object) -> None:
    with sessions() as session, session.begin():
        session.execute(update(Order).where(Order.id == order_id).values(**values))


def report_paid_orders(
    sessions: sessionmaker[Session], reporter: OrderReporter, *, limit: int = BATCH
) -> SweepResult:
    """Report every paid order not reported yet (up to ``limit``), one platform call each.

    No database transaction is open while the platform is called."""
    with sessions() as session:
        pending = unreported(session, limit=limit)
    reported = refused = 0
    for order in pending:
        try:
            reporter.report_order(
                openid=order.openid,
                order_id=order.number,
                amount=order.amount,
                currency=order.currency,
                paid_at=order.paid_at,
            )
        except _REFUSALS as error:
            log.warning("the platform refused order %s: %s", order.number, error)
            _mark(sessions, order.order_id, platform_report_error=str(error)[:500])
            refused += 1
            continue
        except MiniportError as error:
            log.warning("reporting order %s failed, will retry: %r", order.number, error)
            return SweepResult(reported, refused, stopped_by=type(error).__name__)
        _mark(sessions, order.order_id, platform_reported_at=utcnow())
        reported += 1
    return SweepResult(reported, refused)


class OrderReportWorker:
    """A thread that sweeps after every payment (``kick``) and every ``interval`` seconds."""

    def __init__(
        self, sessions: sessionmaker[Session], reporter: OrderReporter, *, interval: float
    ) -> None:
        self._sessions = sessions
        self._reporter = reporter
        self._interval = interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="order-reports", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                while True:
                    result = report_paid_orders(self._sessions, self._reporter)
                    # A full batch went out: more may be waiting.
                    if result.stopped_by or result.reported + result.refused < BATCH:
                        break
            except Exception:  # the thread must outlive one bad sweep (a locked database, …)
                log.exception("an order report sweep failed")
