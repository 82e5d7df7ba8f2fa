"""``verify_webhook`` accepts what the platform really signs and sends, and nothing else.

The real delivery: a receiver on a loopback port keeps each request's raw body and headers;
the brand closes a port through the SDK, the platform's delivery worker posts the signed
``port.closed`` event, and the partner verifies it with its secret.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from miniport.platform.ports.states import Actor
from miniport.platform.registry import admin, partner_webhooks
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.signing import new_webhook_secret
from miniport.sdk import MiniProgramClient, WebhookVerificationError, verify_webhook
from tests.factories import World
from tests.support.servers import free_port, serve_in_thread


@dataclass(frozen=True)
class Delivery:
    body: bytes
    headers: dict[str, str]


@dataclass
class RawReceiver:
    """Answers 200 and keeps each request as it arrived (verification is the test's job)."""

    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle(self, request: Request) -> Response:
        delivery = Delivery(await request.body(), dict(request.headers))
        with self._lock:
            self.deliveries.append(delivery)
        return Response(status_code=200)

    def wait_for_one(self, timeout: float = 20.0) -> Delivery:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.deliveries:
                    return self.deliveries[0]
            time.sleep(0.05)
        raise AssertionError("no webhook arrived")


@pytest.fixture
def receiver() -> Iterator[RawReceiver]:
    receiver = RawReceiver()
    app = Starlette(routes=[Route("/hooks/host", receiver.handle, methods=["POST"])])
    with serve_in_thread(app, free_port()) as url:
        receiver.url = f"{url}/hooks/host"
        yield receiver


@dataclass(frozen=True)
class SignedDelivery:
    secret: str
    delivery: Delivery


@pytest.fixture
def port_closed_delivery(
    runtime: PlatformRuntime, world: World, store: MiniProgramClient, receiver: RawReceiver
) -> SignedDelivery:
    with runtime.sessions() as session, session.begin():
        secret = partner_webhooks.set_webhook_url(
            session,
            admin.get_host_app(session, world.client_id),
            receiver.url,
            cipher=runtime.cipher,
            actor=Actor.system(),
        )
    assert secret is not None
    port_id = next(p["id"] for p in store.port_requests() if p["client_id"] == world.client_id)
    store.close_port(port_id, category="security", reason="counterfeit listings")
    return SignedDelivery(secret, receiver.wait_for_one())


def test_a_real_delivery_verifies_and_reads_as_an_event(
    port_closed_delivery: SignedDelivery, world: World
) -> None:
    delivery = port_closed_delivery.delivery

    event = verify_webhook(port_closed_delivery.secret, delivery.body, delivery.headers)

    assert event.id == delivery.headers["webhook-id"] and event.id.startswith("evt_")
    assert event.type == "port.closed"
    assert event.timestamp.tzinfo is not None
    assert abs(event.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert event.data["port"]["appid"] == world.appid
    assert event.data["previous_state"] == "open"
    assert event.data["reason"] == {"category": "security", "text": "counterfeit listings"}


def test_header_names_are_case_insensitive(port_closed_delivery: SignedDelivery) -> None:
    delivery = port_closed_delivery.delivery
    shouted = {name.upper(): value for name, value in delivery.headers.items()}
    assert verify_webhook(port_closed_delivery.secret, delivery.body, shouted).type == "port.closed"


def test_a_tampered_body_is_refused(port_closed_delivery: SignedDelivery) -> None:
    delivery = port_closed_delivery.delivery
    tampered = delivery.body.replace(b'"closed"', b'"open"', 1)
    assert tampered != delivery.body
    with pytest.raises(WebhookVerificationError):
        verify_webhook(port_closed_delivery.secret, tampered, delivery.headers)


def test_another_partners_secret_is_refused(port_closed_delivery: SignedDelivery) -> None:
    delivery = port_closed_delivery.delivery
    with pytest.raises(WebhookVerificationError):
        verify_webhook(new_webhook_secret(), delivery.body, delivery.headers)


def test_a_replayed_id_with_a_new_timestamp_is_refused(
    port_closed_delivery: SignedDelivery,
) -> None:
    delivery = port_closed_delivery.delivery
    headers = {**delivery.headers, "webhook-timestamp": str(int(time.time()) + 1)}
    with pytest.raises(WebhookVerificationError):
        verify_webhook(port_closed_delivery.secret, delivery.body, headers)


# --- deliveries signed here with the standardwebhooks package -----------------------------


SECRET = new_webhook_secret()
BODY = (
    b'{"type":"host.suspended","timestamp":"2026-03-01T08:00:00+00:00",'
    b'"data":{"host":{"client_id":"hc1"}}}'
)


def _signed(body: bytes, *, at: dt.datetime, message_id: str = "evt_1") -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(SECRET).sign(message_id, at, body.decode()),
    }


def test_a_fresh_signature_verifies() -> None:
    event = verify_webhook(SECRET, BODY, _signed(BODY, at=dt.datetime.now(dt.UTC)))
    assert (event.id, event.type, event.data) == (
        "evt_1",
        "host.suspended",
        {"host": {"client_id": "hc1"}},
    )
    assert event.timestamp == dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)


@pytest.mark.parametrize("age", [dt.timedelta(minutes=6), -dt.timedelta(minutes=6)])
def test_a_delivery_signed_too_long_ago_or_ahead_is_refused(age: dt.timedelta) -> None:
    headers = _signed(BODY, at=dt.datetime.now(dt.UTC) - age)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, BODY, headers)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"webhook-id": "evt_1", "webhook-timestamp": "now", "webhook-signature": "v1,AAAA"},
        {
            "webhook-id": "evt_1",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "garbage",
        },
        {
            "webhook-id": "evt_1",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "v1,%%%",
        },
    ],
    ids=["no headers", "bad timestamp", "no version", "bad base64"],
)
def test_malformed_headers_are_a_verification_error(headers: dict[str, str]) -> None:
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, BODY, headers)


def test_a_signed_body_that_is_not_an_event_is_refused() -> None:
    body = b'["not", "an", "event"]'
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, body, _signed(body, at=dt.datetime.now(dt.UTC)))


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_a"])
def test_a_secret_that_is_not_whsec_is_a_configuration_error(secret: str) -> None:
    with pytest.raises(ValueError, match="whsec_"):
        verify_webhook(secret, BODY, _signed(BODY, at=dt.datetime.now(dt.UTC)))
