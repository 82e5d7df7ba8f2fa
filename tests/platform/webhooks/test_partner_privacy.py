"""What a webhook tells a partner is that partner's business only: a host suspension tells each
brand of its own ports with that host, never another brand's; and no payload names the
platform's staff member who acted (partners see that an operator did)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from miniport.common.clock import utcnow
from miniport.platform.ports import lifecycle
from miniport.platform.ports.states import Actor, ActorKind, ReasonCategory
from miniport.platform.registry import admin, partner_webhooks
from miniport.platform.registry.admin import create_brand, create_mini_program
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.models import WebhookDelivery, WebhookEvent
from tests.factories import World, build_world, open_port
from tests.platform.webhooks.conftest import OPERATOR

HOOK = "http://127.0.0.1:9/hooks/"


def _payloads(runtime: PlatformRuntime, event_type: str) -> dict[str, list[dict[str, Any]]]:
    """Per delivery URL, the payloads of ``event_type`` queued for it."""
    with runtime.sessions() as session:
        rows = session.execute(
            select(WebhookDelivery.url, WebhookEvent.payload)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookEvent.type == event_type)
        ).all()
    found: dict[str, list[dict[str, Any]]] = {}
    for url, payload in rows:
        found.setdefault(url.removeprefix(HOOK), []).append(payload["data"])
    return found


def _two_brands(runtime: PlatformRuntime) -> tuple[World, str]:
    """The world (Gucci, two mini programs, ports from 小红书) plus Louis Vuitton with one
    mini program and a port from the same host; every partner has a webhook URL."""
    world = build_world(runtime)
    with runtime.sessions() as session, session.begin():
        lv = create_brand(
            session, slug="louis-vuitton", name_zh="路易威登", name_en="Louis Vuitton",
            actor=Actor.system(),
        )  # fmt: skip
        lv_store, _secret = create_mini_program(
            session,
            brand_id=lv.id,
            name_zh="路易威登官方精品店",
            name_en="Louis Vuitton Official Store",
            entry_url="http://127.0.0.1:9/lv/entry",
            allowed_paths=["/pages/index"],
            actor=Actor.system(),
        )
        open_port(session, client_id=world.client_id, appid=lv_store.appid)
        for partner, name in (
            (admin.get_host_app(session, world.client_id), "host"),
            (admin.get_brand(session, world.brand_id), "gucci"),
            (lv, "lv"),
        ):
            partner_webhooks.set_webhook_url(
                session, partner, HOOK + name, cipher=runtime.cipher, actor=Actor.system()
            )
    return world, lv_store.appid


def test_a_host_suspension_tells_each_brand_only_of_its_own_ports(
    runtime: PlatformRuntime,
) -> None:
    world, lv_appid = _two_brands(runtime)
    with runtime.sessions() as session, session.begin():
        lifecycle.suspend_host(
            session,
            client_id=world.client_id,
            actor=OPERATOR,
            reason=lifecycle.Reason(ReasonCategory.SECURITY, "scraping"),
            now=utcnow(),
        )
    sent = _payloads(runtime, "host.suspended")
    assert sorted(sent) == ["gucci", "host", "lv"]
    assert all(len(payloads) == 1 for payloads in sent.values())
    appids = {name: {p["appid"] for p in sent[name][0]["ports"]} for name in sent}
    assert appids == {
        "host": {world.appid, world.second_appid, lv_appid},
        "gucci": {world.appid, world.second_appid},
        "lv": {lv_appid},
    }
    for name, (data,) in sent.items():
        assert data["reason"] == {"category": "security", "text": "scraping"}, name
        assert data["actor"] == {"kind": "operator"}, name


def test_no_payload_names_the_operator_who_acted(runtime: PlatformRuntime) -> None:
    world, _lv_appid = _two_brands(runtime)
    with runtime.sessions() as session, session.begin():
        port = lifecycle.find_port(session, client_id=world.client_id, appid=world.appid)
        assert port is not None
        lifecycle.close(
            session,
            port.id,
            actor=OPERATOR,
            reason=lifecycle.Reason(ReasonCategory.SECURITY, "counterfeits"),
            now=utcnow(),
        )
        lifecycle.reopen(
            session,
            port.id,
            actor=OPERATOR,
            reason=lifecycle.Reason(ReasonCategory.OTHER, "resolved"),
            now=utcnow(),
        )
        # A brand acting is named: partners know each other's ids.
        lifecycle.close(
            session,
            port.id,
            actor=Actor(ActorKind.BRAND, str(world.brand_id)),
            reason=lifecycle.Reason(ReasonCategory.PARTNER_REQUEST, "season over"),
            now=utcnow(),
        )
    closed = _payloads(runtime, "port.closed")
    opened = _payloads(runtime, "port.opened")
    actors = [d["actor"] for name in ("host", "gucci") for d in closed[name] + opened[name]]
    assert {"kind": "operator"} in actors
    assert {"kind": "brand", "id": str(world.brand_id)} in actors
    assert all(a.get("id") != OPERATOR.id for a in actors)
    assert "lv" not in closed  # Louis Vuitton has no part in Gucci's port
