"""The webhook delivery worker: claim due deliveries, send them signed, retry with backoff.

::

    pending --2xx--> delivered
       |  \\--error, schedule not spent--> pending   (next_attempt_at = now + backoff)
       \\--error, schedule spent--> failed
    delivered / failed --resend--> pending          (a fresh schedule, the same event id)

Claiming: a worker takes a due row with one conditional ``UPDATE`` that sets
``locked_until`` (a lease) only where the row is still pending, due and unleased, so of
several threads or processes exactly one wins each attempt. On PostgreSQL the candidate rows
are also picked ``FOR UPDATE SKIP LOCKED``, so workers do not queue behind each other. The
result is recorded only if the lease is still the one this worker took.

At least once: the HTTP request is sent before the outcome is written. A crash in between
leaves the row pending; once the lease runs out another worker sends the same event again,
under the same ``webhook-id``, which is what receivers deduplicate on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

import httpx
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.platform.atrest.cipher import AtRestKeyError, DataCipher
from miniport.platform.atrest.columns import webhook_secret
from miniport.platform.audit.changes import record_change
from miniport.platform.ports.states import Actor
from miniport.platform.registry.models import Brand, HostApp
from miniport.platform.webhooks.models import WebhookDelivery, WebhookEvent
from miniport.platform.webhooks.signing import signed_headers

log = logging.getLogger(__name__)


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class DeliveryNotFound(LookupError):
    """No webhook delivery or event with that id."""


# Wait after the n-th failed attempt. Before jitter they add up to 23 h 42 min, so the last
# of the 11 attempts falls within 24 hours of the first; then the delivery is ``failed``.
RETRY_DELAYS: tuple[dt.timedelta, ...] = tuple(
    dt.timedelta(seconds=s) for s in (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800)
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Each delay is shortened by up to this share at random, so deliveries that failed together
# (one partner's outage) do not all come back at the same second. Jitter only ever shortens
# a delay, which keeps the whole schedule inside 24 hours.
JITTER = 0.2
REQUEST_TIMEOUT = 10.0
# Longer than a send takes (connect, write and read each time out after REQUEST_TIMEOUT)
# plus recording it. Should one take longer still, the row goes to another worker, which
# sends it again (at least once), and only that worker's outcome is recorded.
LEASE = dt.timedelta(seconds=60)
# Sends in flight at once per worker; also how many rows one claim takes.
CONCURRENCY = 8
MAX_ERROR_LENGTH = 500
USER_AGENT = "miniport-webhooks/1"

_random = random.SystemRandom()


def retry_delay(
    attempts: int, *, rand: Callable[[], float] = _random.random
) -> dt.timedelta | None:
    """How long to wait after ``attempts`` failed attempts; ``None`` once the schedule is spent."""
    if attempts < 1 or attempts > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[attempts - 1] * (1 - JITTER * rand())


def _due(now: dt.datetime) -> ColumnElement[bool]:
    return and_(
        WebhookDelivery.state == DeliveryState.PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.locked_until.is_(None), WebhookDelivery.locked_until <= now),
    )


@dataclass(frozen=True, slots=True)
class _Claim:
    delivery_id: int
    event_id: str
    url: str
    body: str
    secret: str | None
    # Why there is no secret to sign with, when there is none.
    no_secret: str
    attempts: int
    lease_until: dt.datetime


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def event_body(payload: dict[str, object]) -> str:
    """The exact JSON text that is signed and sent (compact, UTF-8, key order as stored)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


NO_SECRET = "no signing secret: run `miniport webhooks rotate-secret`"  # noqa: S105  (a message)


def _partner_secret(
    session: Session, delivery: WebhookDelivery, cipher: DataCipher
) -> tuple[str | None, str]:
    """The partner's signing secret, opened here (off the request path), or why there is none."""
    partner: HostApp | Brand | None
    if delivery.partner_kind == "host":
        partner = session.get(HostApp, delivery.partner_id)
    else:
        partner = session.get(Brand, int(delivery.partner_id))
    if partner is None:
        return None, NO_SECRET
    try:
        return webhook_secret(cipher, partner), NO_SECRET
    except AtRestKeyError as error:
        # One partner's unreadable secret fails its own deliveries, not the whole pass.
        return None, str(error)


def _any_due(factory: sessionmaker[Session], now: dt.datetime) -> bool:
    # A read that never takes SQLite's write lock: an idle worker polls every second and
    # must not make the platform's writers queue behind it.
    with factory() as session:
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        return session.scalar(select(WebhookDelivery.id).where(_due(now)).limit(1)) is not None


def _claim(
    factory: sessionmaker[Session], now: dt.datetime, limit: int, cipher: DataCipher
) -> list[_Claim]:
    lease_until = now + LEASE
    with factory() as session, session.begin():
        candidates = (
            select(WebhookDelivery.id)
            .where(_due(now))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite renders nothing
        )
        # The due conditions are repeated on the UPDATE itself: they are what makes the
        # claim safe when two workers picked the same candidates.
        claimed = list(
            session.scalars(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(candidates), _due(now))
                .values(locked_until=lease_until)
                .returning(WebhookDelivery.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            return []
        rows = session.execute(
            select(WebhookDelivery, WebhookEvent)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id.in_(claimed))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        ).all()
        claims = []
        for delivery, event in rows:
            secret, no_secret = _partner_secret(session, delivery, cipher)
            claims.append(
                _Claim(
                    delivery_id=delivery.id,
                    event_id=event.id,
                    url=delivery.url,
                    body=event_body(event.payload),
                    secret=secret,
                    no_secret=no_secret,
                    attempts=delivery.attempts,
                    lease_until=lease_until,
                )
            )
        return claims


def _send(claim: _Claim, client: httpx.Client) -> _Outcome:
    if not claim.secret:
        # Never send unsigned: the receiver could not tell us from anyone else.
        return _Outcome(None, claim.no_secret[:MAX_ERROR_LENGTH])
    headers = signed_headers(claim.secret, message_id=claim.event_id, body=claim.body, at=utcnow())
    headers |= {"content-type": "application/json", "user-agent": USER_AGENT}
    try:
        with client.stream("POST", claim.url, content=claim.body.encode(), headers=headers) as sent:
            # Only the status matters; the body is never read, so a partner cannot make the
            # worker download anything.
            status = sent.status_code
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        return _Outcome(None, f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH])
    if 200 <= status < 300:
        return _Outcome(status, None)
    return _Outcome(status, f"HTTP {status}")


def _record(
    factory: sessionmaker[Session],
    claim: _Claim,
    outcome: _Outcome,
    now: dt.datetime,
    rand: Callable[[], float],
) -> None:
    attempts = claim.attempts + 1
    values: dict[str, object] = {
        "attempts": attempts,
        "last_status": outcome.status,
        "last_error": outcome.error,
        "locked_until": None,
    }
    if outcome.delivered:
        values |= {"state": DeliveryState.DELIVERED, "delivered_at": now}
    else:
        delay = retry_delay(attempts, rand=rand)
        if delay is None:
            values["state"] = DeliveryState.FAILED
        else:
            values["next_attempt_at"] = now + delay
    with factory() as session, session.begin():
        # Only while the lease is still ours: if it ran out (or an operator pressed resend)
        # someone else owns the row now, and their attempt's record is the one that counts.
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == claim.delivery_id,
                WebhookDelivery.state == DeliveryState.PENDING,
                WebhookDelivery.locked_until == claim.lease_until,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def deliver_due(
    factory: sessionmaker[Session],
    now: dt.datetime,
    *,
    cipher: DataCipher,
    limit: int = 500,
    timeout: float = REQUEST_TIMEOUT,
    stop: threading.Event | None = None,
    rand: Callable[[], float] = _random.random,
) -> int:
    """Send every delivery due at ``now`` (up to ``limit``); returns how many were attempted.

    ``now`` decides what is due and when a retry is scheduled; the signature timestamp is
    always the real clock, since receivers compare it with theirs. ``cipher`` opens the
    partners' signing secrets. Each claim commits on
    its own, so this never runs inside a caller's transaction.
    """
    if not _any_due(factory, now):
        return 0
    attempted = 0
    # One client per sending thread, kept for the whole pass: building a client (its TLS
    # context above all) costs more than a small POST, and one client is not shared between
    # threads.
    local = threading.local()
    clients: list[httpx.Client] = []

    def attempt(claim: _Claim) -> None:
        client: httpx.Client | None = getattr(local, "client", None)
        if client is None:
            # Redirects are not followed: a partner registers the URL that receives its
            # events, and a redirect would carry them to a host nobody registered.
            client = local.client = httpx.Client(timeout=timeout, follow_redirects=False)
            clients.append(client)
        _record(factory, claim, _send(claim, client), now, rand)

    try:
        with ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="webhook") as pool:
            while attempted < limit and not (stop is not None and stop.is_set()):
                claims = _claim(factory, now, min(CONCURRENCY, limit - attempted), cipher)
                if not claims:
                    break
                # list() waits for the whole batch and re-raises the first error, if any.
                list(pool.map(attempt, claims))
                attempted += len(claims)
    finally:
        for client in clients:
            client.close()
    return attempted


def resend(
    session: Session, delivery_id: int, now: dt.datetime, *, actor: Actor
) -> WebhookDelivery:
    """Queue one delivery again, now, with a fresh retry schedule (flushed, not committed).

    The event keeps its id, so a receiver that already has it recognises the duplicate.
    Audited as ``webhook.resent`` with ``actor``, whoever asks (console or CLI).
    """
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise DeliveryNotFound(f"no webhook delivery {delivery_id}")
    delivery.state = DeliveryState.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.locked_until = None
    delivery.last_error = None
    session.flush()
    record_change(
        session,
        actor,
        "webhook.resent",
        target=("webhook_delivery", str(delivery_id)),
        at=now,
        after={
            "event_id": delivery.event_id,
            "partner": f"{delivery.partner_kind}:{delivery.partner_id}",
        },
    )
    return delivery


def resend_event(
    session: Session, event_id: str, now: dt.datetime, *, actor: Actor
) -> list[WebhookDelivery]:
    """Queue every delivery of one event again (see ``resend``), one audit entry each."""
    if session.get(WebhookEvent, event_id) is None:
        raise DeliveryNotFound(f"no webhook event {event_id!r}")
    ids = session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.event_id == event_id)
        .order_by(WebhookDelivery.id)
    ).all()
    return [resend(session, delivery_id, now, actor=actor) for delivery_id in ids]


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """One delivery with its event's type, as operators list them."""

    delivery: WebhookDelivery
    event_type: str
    event_created_at: dt.datetime


def list_deliveries(
    session: Session,
    *,
    state: DeliveryState | None = None,
    event_id: str | None = None,
    limit: int = 50,
) -> list[DeliveryView]:
    """The newest deliveries first, optionally only in one state or of one event."""
    query = (
        select(WebhookDelivery, WebhookEvent.type, WebhookEvent.created_at)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .order_by(WebhookEvent.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(WebhookDelivery.state == state)
    if event_id is not None:
        query = query.where(WebhookDelivery.event_id == event_id)
    return [
        DeliveryView(delivery=delivery, event_type=event_type, event_created_at=created_at)
        for delivery, event_type, created_at in session.execute(query)
    ]


class WebhookWorker:
    """Runs ``deliver_due`` every ``poll_seconds``, in a thread or in the calling thread."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        cipher: DataCipher,
        poll_seconds: float = 1.0,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.factory = factory
        self.cipher = cipher
        self.poll_seconds = poll_seconds
        self.timeout = timeout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        try:
            return deliver_due(
                self.factory, utcnow(), cipher=self.cipher, timeout=self.timeout, stop=self._stop
            )
        except Exception:
            # A database restart or a bug in one batch must not end delivery for good; the
            # rows stay pending and the next poll tries again.
            log.exception("webhook delivery pass failed")
            return 0

    def run(self) -> None:
        """Deliver until ``stop`` is called (from another thread or a signal handler)."""
        while not self._stop.wait(self.poll_seconds):
            self.run_once()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="webhook-worker", daemon=True)
        self._thread.start()

    def stop(self, *, wait: float = 15.0) -> None:
        """Ask the loop to end and wait for the batch in flight; its leases cover the rest."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=wait)
            self._thread = None
