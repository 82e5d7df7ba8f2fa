"""Partners receive signed events when a port changes, retried with backoff, at least once."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.common.migrate import upgrade
from miniport.platform.atrest import DataCipher
from miniport.platform.ports import lifecycle
from miniport.platform.ports.states import Actor, ReasonCategory
from miniport.platform.registry import admin, partner_webhooks
from miniport.platform.registry.models import HostApp
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.delivery import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    DeliveryState,
    deliver_due,
    event_body,
    resend,
    resend_event,
    retry_delay,
)
from miniport.platform.webhooks.models import WebhookDelivery
from miniport.platform.webhooks.outbox import enqueue
from miniport.platform.webhooks.signing import new_webhook_secret, signed_headers
from tests.conftest import make_platform_settings
from tests.factories import build_world
from tests.platform.webhooks.conftest import (
    OPERATOR,
    Partners,
    close_port,
    connect_partners,
    deliveries,
    event_count,
)
from tests.platform.webhooks.receiver import Receiver


def _to(runtime: PlatformRuntime, partner_kind: str) -> WebhookDelivery:
    """The one port.closed delivery to the host or the brand, as stored now."""
    (found,) = [
        d for d in deliveries(runtime.sessions, "port.closed") if d.partner_kind == partner_kind
    ]
    return found


def test_closing_a_port_sends_both_partners_a_verified_port_closed_with_the_reason(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    close_port(runtime.sessions, partners.port_id, text="counterfeit listings reported")

    assert deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher) == 2

    (to_host,) = receiver.events("host")
    (to_brand,) = receiver.events("brand")
    for received in (to_host, to_brand):
        assert received.type == "port.closed"
        assert received.data["reason"] == {
            "category": "security",
            "text": "counterfeit listings reported",
        }
        assert received.data["port"]["appid"] == partners.world.appid
        assert received.data["port"]["client_id"] == partners.world.client_id
        assert received.data["port"]["state"] == "closed"
        assert received.data["previous_state"] == "open"
        assert received.webhook_id.startswith("evt_")
    # One event, two deliveries: the same id tells a partner with two receivers it is one.
    assert to_host.webhook_id == to_brand.webhook_id
    assert receiver.rejected == []
    assert [d.state for d in deliveries(runtime.sessions, "port.closed")] == [
        DeliveryState.DELIVERED,
        DeliveryState.DELIVERED,
    ]


def test_a_receiver_failing_twice_gets_three_attempts_on_the_backoff_schedule(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    receiver.script["host"] = [500, 500]
    close_port(runtime.sessions, partners.port_id)
    t0 = utcnow()

    # The host answers 500, the brand 200.
    assert deliver_due(runtime.sessions, t0, cipher=runtime.cipher) == 2
    host_delivery = _to(runtime, "host")
    assert host_delivery.state == DeliveryState.PENDING
    assert (host_delivery.attempts, host_delivery.last_status) == (1, 500)
    first_wait = host_delivery.next_attempt_at - t0
    assert dt.timedelta(seconds=4) <= first_wait <= dt.timedelta(seconds=5)

    # Not due yet: nothing is sent a second early.
    assert (
        deliver_due(
            runtime.sessions,
            host_delivery.next_attempt_at - dt.timedelta(seconds=1),
            cipher=runtime.cipher,
        )
        == 0
    )

    t1 = host_delivery.next_attempt_at
    assert deliver_due(runtime.sessions, t1, cipher=runtime.cipher) == 1
    host_delivery = _to(runtime, "host")
    assert (host_delivery.attempts, host_delivery.last_status) == (2, 500)
    second_wait = host_delivery.next_attempt_at - t1
    assert dt.timedelta(seconds=24) <= second_wait <= dt.timedelta(seconds=30)

    t2 = host_delivery.next_attempt_at
    assert deliver_due(runtime.sessions, t2, cipher=runtime.cipher) == 1
    host_delivery = _to(runtime, "host")
    assert host_delivery.state == DeliveryState.DELIVERED
    assert (host_delivery.attempts, host_delivery.last_status) == (3, 200)
    assert host_delivery.delivered_at == t2
    assert host_delivery.last_error is None

    attempts = receiver.events("host", "port.closed")
    assert len(attempts) == 3
    assert len({item.webhook_id for item in attempts}) == 1
    assert len(receiver.events("brand", "port.closed")) == 1


def test_the_schedule_spans_up_to_24_hours_then_gives_up(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    receiver.script["host"] = [503] * MAX_ATTEMPTS
    close_port(runtime.sessions, partners.port_id)
    first = now = utcnow()
    sent_at = []
    while True:
        # rand=0 means no jitter: the longest the schedule can be.
        deliver_due(runtime.sessions, now, cipher=runtime.cipher, rand=lambda: 0.0)
        delivery = _to(runtime, "host")
        sent_at.append(now)
        if delivery.state != DeliveryState.PENDING:
            break
        now = delivery.next_attempt_at

    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == MAX_ATTEMPTS == 11
    assert len(receiver.events("host", "port.closed")) == MAX_ATTEMPTS
    waits = [(b - a).total_seconds() for a, b in zip(sent_at, sent_at[1:], strict=False)]
    assert waits == [5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800]
    assert dt.timedelta(hours=23) < sent_at[-1] - first <= dt.timedelta(hours=24)
    # Given up: no later pass sends it again.
    assert deliver_due(runtime.sessions, now + dt.timedelta(days=2), cipher=runtime.cipher) == 0


def test_jitter_only_shortens_a_delay() -> None:
    for attempts, base in enumerate(RETRY_DELAYS, start=1):
        assert retry_delay(attempts, rand=lambda: 0.0) == base
        assert retry_delay(attempts, rand=lambda: 1.0) == base * 0.8
        delay = retry_delay(attempts)
        assert delay is not None and base * 0.8 <= delay <= base
    assert retry_delay(len(RETRY_DELAYS) + 1) is None
    assert sum(RETRY_DELAYS, dt.timedelta()) <= dt.timedelta(hours=24)


def test_a_receiver_with_another_secret_rejects_the_delivery(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    receiver.secrets["host"] = new_webhook_secret()  # not the one the platform signs with
    close_port(runtime.sessions, partners.port_id)

    deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher)

    assert receiver.events("host") == []
    assert [endpoint for endpoint, _ in receiver.rejected] == ["host"]
    host_delivery = _to(runtime, "host")
    assert (host_delivery.state, host_delivery.last_status) == (DeliveryState.PENDING, 401)
    assert len(receiver.events("brand")) == 1


def test_signatures_cover_the_body_id_and_time(partners: Partners, receiver: Receiver) -> None:
    body = event_body({"type": "port.closed", "timestamp": "2026-03-01T08:00:00+00:00", "data": {}})
    now = utcnow()
    good = signed_headers(partners.host_secret, message_id="evt_1", body=body, at=now)
    url = receiver.url("host")

    assert httpx.post(url, content=body, headers=good).status_code == 200
    tampered = body.replace("port.closed", "port.opened")
    assert httpx.post(url, content=tampered, headers=good).status_code == 401
    other_id = good | {"webhook-id": "evt_2"}
    assert httpx.post(url, content=body, headers=other_id).status_code == 401
    # A captured delivery replayed later is refused: the signed timestamp is too old.
    old = signed_headers(
        partners.host_secret, message_id="evt_1", body=body, at=now - dt.timedelta(minutes=10)
    )
    assert httpx.post(url, content=body, headers=old).status_code == 401
    assert len(receiver.events("host")) == 1
    assert len(receiver.rejected) == 3


def test_a_resend_carries_the_same_webhook_id(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    close_port(runtime.sessions, partners.port_id)
    deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher)
    (first,) = receiver.events("host")

    with runtime.sessions() as session, session.begin():
        queued = resend_event(session, first.webhook_id, utcnow(), actor=Actor.system())
        assert len(queued) == 2
        assert all(d.state == DeliveryState.PENDING and d.attempts == 0 for d in queued)
    assert deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher) == 2

    copies = receiver.events("host")
    assert len(copies) == 2
    assert {item.webhook_id for item in copies} == {first.webhook_id}
    assert copies[0].payload == copies[1].payload


def test_resend_revives_a_failed_delivery_with_a_fresh_schedule(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    close_port(runtime.sessions, partners.port_id)
    host_delivery = _to(runtime, "host")
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == host_delivery.id)
            .values(state=DeliveryState.FAILED, attempts=MAX_ATTEMPTS, last_error="HTTP 503")
        )
    assert deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher) == 1  # only the brand's

    with runtime.sessions() as session, session.begin():
        revived = resend(session, host_delivery.id, utcnow(), actor=Actor.system())
        assert (revived.state, revived.attempts, revived.last_error) == ("pending", 0, None)
    assert deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher) == 1
    assert len(receiver.events("host", "port.closed")) == 1


def _race_workers(
    sessions: sessionmaker[Session],
    client_id: str,
    receiver: Receiver,
    cipher: DataCipher,
    *,
    workers: int = 4,
) -> None:
    """Queue 40 events, let ``workers`` threads deliver at the same instant; each goes once."""
    now = utcnow()
    with sessions() as session, session.begin():
        host = session.get(HostApp, client_id)
        assert host is not None
        event_ids = [
            enqueue(session, event_type="port.staged", data={"n": n}, hosts=[host], brands=[],
                    now=now)
            for n in range(40)
        ]  # fmt: skip
    start = threading.Barrier(workers)
    counts: list[int] = []

    def work() -> None:
        start.wait()
        counts.append(deliver_due(sessions, utcnow(), cipher=cipher))

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(counts) == 40
    received = [item.webhook_id for item in receiver.events("host", "port.staged")]
    assert sorted(received) == sorted(event_ids)  # every event once, none twice


def test_concurrent_workers_never_send_the_same_attempt(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    _race_workers(runtime.sessions, partners.world.client_id, receiver, runtime.cipher)


def test_concurrent_workers_on_postgresql_never_send_the_same_attempt(
    tmp_path: Path, postgres_url: str, receiver: Receiver
) -> None:
    settings = make_platform_settings(tmp_path / "pg", database_url=postgres_url)
    upgrade("platform", settings.database_url)
    runtime = PlatformRuntime.build(settings)
    try:
        world = build_world(runtime)
        connect_partners(runtime.sessions, world, receiver, runtime.cipher)
        _race_workers(runtime.sessions, world.client_id, receiver, runtime.cipher)
    finally:
        runtime.close()


def test_a_partner_without_a_signing_secret_gets_nothing_unsigned(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    with runtime.sessions() as session, session.begin():
        host = admin.get_host_app(session, partners.world.client_id)
        host.webhook_secret = None  # a row registered before webhooks were signed
    close_port(runtime.sessions, partners.port_id)

    deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher)

    assert receiver.events("host") == [] and receiver.rejected == []
    host_delivery = _to(runtime, "host")
    assert host_delivery.state == DeliveryState.PENDING
    assert host_delivery.last_error is not None and "rotate-secret" in host_delivery.last_error

    with runtime.sessions() as session, session.begin():
        host = admin.get_host_app(session, partners.world.client_id)
        receiver.secrets["host"] = partner_webhooks.rotate_webhook_secret(
            session, host, cipher=runtime.cipher, actor=Actor.system()
        )
    deliver_due(runtime.sessions, host_delivery.next_attempt_at, cipher=runtime.cipher)
    assert [item.type for item in receiver.events("host")] == ["port.closed"]


def test_a_change_that_rolls_back_enqueues_nothing(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    before = event_count(runtime.sessions)

    with pytest.raises(RuntimeError), runtime.sessions() as session, session.begin():
        lifecycle.close(
            session,
            partners.port_id,
            actor=OPERATOR,
            reason=lifecycle.Reason(ReasonCategory.SECURITY, "about to fail"),
            now=utcnow(),
        )
        raise RuntimeError("the unit of work fails after the close")

    assert event_count(runtime.sessions) == before
    assert deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher) == 0
    assert receiver.received == []


def test_pending_events_follow_a_new_webhook_url(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    receiver.script["host"] = [502]
    close_port(runtime.sessions, partners.port_id)
    deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher)
    receiver.secrets["host-v2"] = partners.host_secret

    with runtime.sessions() as session, session.begin():
        host = admin.get_host_app(session, partners.world.client_id)
        assert (
            partner_webhooks.set_webhook_url(
                session, host, receiver.url("host-v2"), cipher=runtime.cipher, actor=Actor.system()
            )
            is None
        )
    deliver_due(runtime.sessions, utcnow() + dt.timedelta(minutes=1), cipher=runtime.cipher)

    assert [item.type for item in receiver.events("host-v2")] == ["port.closed"]


def test_removing_the_url_gives_up_pending_events(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    receiver.script["brand"] = [500]
    close_port(runtime.sessions, partners.port_id)
    deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher)

    with runtime.sessions() as session, session.begin():
        partner_webhooks.set_webhook_url(
            session,
            admin.get_brand(session, partners.world.brand_id),
            "",
            cipher=runtime.cipher,
            actor=Actor.system(),
        )

    assert (
        deliver_due(runtime.sessions, utcnow() + dt.timedelta(hours=1), cipher=runtime.cipher) == 0
    )
    assert _to(runtime, "brand").state == DeliveryState.FAILED
    # The next change does not even queue a delivery for the brand.
    with runtime.sessions() as session, session.begin():
        lifecycle.reopen(
            session,
            partners.port_id,
            actor=OPERATOR,
            reason=lifecycle.Reason(ReasonCategory.OTHER, "resolved"),
            now=utcnow(),
        )
    assert [d.partner_kind for d in deliveries(runtime.sessions, "port.opened")] == ["host"]


def test_suspending_a_host_signs_non_ascii_names_verifiably(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    with runtime.sessions() as session, session.begin():
        lifecycle.suspend_host(
            session,
            client_id=partners.world.client_id,
            actor=OPERATOR,
            reason=lifecycle.Reason(ReasonCategory.SECURITY, "违规导流"),
            now=utcnow(),
        )

    assert deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher) == 2

    (to_host,) = receiver.events("host", "host.suspended")
    (to_brand,) = receiver.events("brand", "host.suspended")
    assert to_host.data["host"]["name_zh"] == "小红书"
    assert to_brand.data["reason"] == {"category": "security", "text": "违规导流"}
    assert {port["appid"] for port in to_host.data["ports"]} == {
        partners.world.appid,
        partners.world.second_appid,
    }
