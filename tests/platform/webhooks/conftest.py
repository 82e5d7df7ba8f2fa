"""A receiver on a loopback port, and a world whose host app and brand send their webhooks there."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.platform.atrest import DataCipher
from miniport.platform.ports import lifecycle
from miniport.platform.ports.states import Actor, ActorKind, ReasonCategory
from miniport.platform.registry import admin, partner_webhooks
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.delivery import deliver_due
from miniport.platform.webhooks.models import WebhookDelivery, WebhookEvent
from tests.factories import World, build_world
from tests.platform.webhooks.receiver import Receiver, running_receiver

OPERATOR = Actor(ActorKind.OPERATOR, "ops-wang")


@dataclass(frozen=True)
class Partners:
    world: World
    port_id: int
    host_secret: str
    brand_secret: str


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def connect_partners(
    sessions: sessionmaker[Session], world: World, receiver: Receiver, cipher: DataCipher
) -> tuple[str, str]:
    """Point the host app (endpoint ``host``) and the brand (``brand``) at the receiver."""
    with sessions() as session, session.begin():
        host_secret = partner_webhooks.set_webhook_url(
            session,
            admin.get_host_app(session, world.client_id),
            receiver.url("host"),
            cipher=cipher,
            actor=Actor.system(),
        )
        brand_secret = partner_webhooks.set_webhook_url(
            session,
            admin.get_brand(session, world.brand_id),
            receiver.url("brand"),
            cipher=cipher,
            actor=Actor.system(),
        )
    assert host_secret is not None and brand_secret is not None
    receiver.secrets |= {"host": host_secret, "brand": brand_secret}
    return host_secret, brand_secret


def port_of(sessions: sessionmaker[Session], world: World) -> int:
    """The open port between the host app and the flagship store (``build_world`` opens it)."""
    with sessions() as session:
        port = lifecycle.find_port(session, client_id=world.client_id, appid=world.appid)
        assert port is not None and port.state == "open"
        return port.id


def close_port(
    sessions: sessionmaker[Session], port_id: int, *, text: str = "counterfeit listings"
) -> None:
    with sessions() as session, session.begin():
        lifecycle.close(
            session,
            port_id,
            actor=OPERATOR,
            reason=lifecycle.Reason(ReasonCategory.SECURITY, text),
            now=utcnow(),
        )


def deliveries(sessions: sessionmaker[Session], event_type: str) -> list[WebhookDelivery]:
    with sessions() as session:
        return list(
            session.scalars(
                select(WebhookDelivery)
                .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
                .where(WebhookEvent.type == event_type)
                .order_by(WebhookDelivery.partner_kind)
            )
        )


def event_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


@pytest.fixture
def partners(runtime: PlatformRuntime, receiver: Receiver) -> Partners:
    """A world with an open port whose host and brand receive webhooks; nothing pending."""
    world = build_world(runtime)
    host_secret, brand_secret = connect_partners(runtime.sessions, world, receiver, runtime.cipher)
    # The port opened before the partners had webhook URLs: nothing is queued for them.
    assert deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher) == 0
    return Partners(world, port_of(runtime.sessions, world), host_secret, brand_secret)
