"""Every kind of event reaches both the host app and the brand, with the reason it happened.

One row per event type: a cause, run through the domain function a route or job calls, and
the reason the partners must read in the payload. The outbox must hold one delivery to each
partner's URL, and the receiver (verifying signatures) must get both.

``grant.revoked`` reaches both parties as two events, not one: each carries only the
identifiers its recipient already holds (see ``test_grant_revoked``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from miniport.common.clock import utcnow
from miniport.platform.consent.grants import remember_grant, revoke_grant
from miniport.platform.ports import lifecycle
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.states import Actor, ActorKind, ReasonCategory
from miniport.platform.registry.admin import create_mini_program
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.delivery import DeliveryState, deliver_due
from miniport.platform.webhooks.models import WebhookDelivery, WebhookEvent
from miniport.platform.webhooks.outbox import EVENT_TYPES
from tests.platform.webhooks.conftest import OPERATOR, Partners
from tests.platform.webhooks.receiver import Receiver

Cause = Callable[[PlatformRuntime, Partners, dt.datetime], None]


def _brand(partners: Partners) -> Actor:
    return Actor(ActorKind.BRAND, str(partners.world.brand_id))


def _request(runtime: PlatformRuntime, partners: Partners, now: dt.datetime, text: str) -> int:
    """A new port of the host to a new mini program of the brand, as the host asks for it."""
    world = partners.world
    with runtime.sessions() as session, session.begin():
        kids, _secret = create_mini_program(
            session,
            brand_id=world.brand_id,
            name_zh="古驰童装",
            name_en="Gucci Kids",
            entry_url="http://127.0.0.1:9/kids/entry",
            allowed_paths=["/pages/index"],
            actor=Actor.system(),
        )
        return lifecycle.apply_for_port(
            session,
            client_id=world.client_id,
            appid=kids.appid,
            reason_text=text,
            actor=Actor(ActorKind.HOST, world.client_id),
            now=now,
        ).id


def _requested(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    _request(runtime, partners, now, "Gucci Kids in our parenting channel")


def _opened(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    port_id = _request(runtime, partners, now, "please")
    with runtime.sessions() as session, session.begin():
        lifecycle.approve(
            session,
            port_id,
            actor=_brand(partners),
            reason=Reason(ReasonCategory.POLICY, "fits the spring campaign"),
            now=now,
        )


def _rejected(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    port_id = _request(runtime, partners, now, "please")
    with runtime.sessions() as session, session.begin():
        lifecycle.reject(
            session,
            port_id,
            actor=_brand(partners),
            reason=Reason(ReasonCategory.OTHER, "Gucci Kids is not sold in apps yet"),
            now=now,
        )


def _withdrawn(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    port_id = _request(runtime, partners, now, "please")
    with runtime.sessions() as session, session.begin():
        lifecycle.withdraw(
            session,
            port_id,
            actor=Actor(ActorKind.HOST, partners.world.client_id),
            reason=Reason(ReasonCategory.PARTNER_REQUEST, "asked for the wrong store"),
            now=now,
        )


def _closed(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    with runtime.sessions() as session, session.begin():
        lifecycle.close(
            session,
            partners.port_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.SECURITY, "counterfeit listings reported"),
            now=now,
        )


def _staged(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    with runtime.sessions() as session, session.begin():
        lifecycle.set_staging(
            session,
            partners.port_id,
            actor=OPERATOR,
            rollout_percent=100,
            allow_list=[],
            trial_ends_at=now + dt.timedelta(minutes=1),
            daily_launch_quota=None,
            now=now,
        )


def _expired(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    _staged(runtime, partners, now)
    with runtime.sessions() as session, session.begin():
        assert lifecycle.expire_port(session, partners.port_id, now=now + dt.timedelta(minutes=2))


def _suspend(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    with runtime.sessions() as session, session.begin():
        lifecycle.suspend_host(
            session,
            client_id=partners.world.client_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.SECURITY, "scraping user data"),
            now=now,
        )


def _resumed(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    _suspend(runtime, partners, now)
    with runtime.sessions() as session, session.begin():
        lifecycle.resume_host(
            session,
            client_id=partners.world.client_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.PARTNER_REQUEST, "scraper removed, audit passed"),
            now=now,
        )


def _grant_revoked(runtime: PlatformRuntime, partners: Partners, now: dt.datetime) -> None:
    world = partners.world
    with runtime.sessions() as session, session.begin():
        remember_grant(
            session, user_id=world.user_id, client_id=world.client_id, appids=[world.appid], now=now
        )
    with runtime.sessions() as session, session.begin():
        revoke_grant(
            session,
            user_id=world.user_id,
            client_id=world.client_id,
            now=now,
            identifiers=runtime.identifiers,
        )


@dataclass(frozen=True)
class Case:
    event_type: str
    cause: Cause
    reason: dict[str, str]


CASES = [
    Case(
        "port.requested",
        _requested,
        {"category": "request", "text": "Gucci Kids in our parenting channel"},
    ),
    Case("port.opened", _opened, {"category": "policy", "text": "fits the spring campaign"}),
    Case(
        "port.rejected",
        _rejected,
        {"category": "other", "text": "Gucci Kids is not sold in apps yet"},
    ),
    Case(
        "port.withdrawn",
        _withdrawn,
        {"category": "partner_request", "text": "asked for the wrong store"},
    ),
    Case("port.closed", _closed, {"category": "security", "text": "counterfeit listings reported"}),
    Case("port.expired", _expired, {"category": "trial_ended", "text": "the trial window ended"}),
    Case("port.staged", _staged, {"category": "other", "text": "staging changed"}),
    Case("host.suspended", _suspend, {"category": "security", "text": "scraping user data"}),
    Case(
        "host.resumed",
        _resumed,
        {"category": "partner_request", "text": "scraper removed, audit passed"},
    ),
    Case(
        "grant.revoked",
        _grant_revoked,
        {"category": "user_revoked", "text": "the user revoked this app's authorization"},
    ),
]


def _outbox(runtime: PlatformRuntime, event_type: str) -> list[tuple[str, str, str, str, Any]]:
    """(partner kind, partner id, URL, state, payload) of every delivery of ``event_type``."""
    with runtime.sessions() as session:
        rows = session.execute(
            select(WebhookDelivery, WebhookEvent)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookEvent.type == event_type)
            .order_by(WebhookDelivery.partner_kind)
        ).all()
        return [(d.partner_kind, d.partner_id, d.url, d.state, e.payload) for d, e in rows]


@pytest.mark.parametrize("case", CASES, ids=[case.event_type for case in CASES])
def test_the_event_goes_to_both_partners_with_its_reason(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver, case: Case
) -> None:
    now = utcnow()
    case.cause(runtime, partners, now)

    queued = _outbox(runtime, case.event_type)
    world = partners.world
    assert [delivery[:4] for delivery in queued] == [
        ("brand", str(world.brand_id), receiver.url("brand"), DeliveryState.PENDING),
        ("host", world.client_id, receiver.url("host"), DeliveryState.PENDING),
    ]
    for *_, payload in queued:
        assert payload["type"] == case.event_type
        assert payload["data"]["reason"] == case.reason

    # Everything queued is due by then (the expiry happened two minutes after ``now``).
    deliver_due(runtime.sessions, now + dt.timedelta(minutes=5), cipher=runtime.cipher)

    assert receiver.rejected == []
    for endpoint in ("host", "brand"):
        (received,) = receiver.events(endpoint, case.event_type)
        assert received.data["reason"] == case.reason
    assert [delivery[3] for delivery in _outbox(runtime, case.event_type)] == [
        DeliveryState.DELIVERED,
        DeliveryState.DELIVERED,
    ]


def test_the_table_covers_every_event_type() -> None:
    assert {case.event_type for case in CASES} == EVENT_TYPES
