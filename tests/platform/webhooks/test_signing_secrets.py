"""Partners get a Standard Webhooks secret with their URL, shown once, and can rotate it."""

from __future__ import annotations

import base64

from standardwebhooks import Webhook

from miniport.common.clock import utcnow
from miniport.platform.atrest.columns import webhook_secret
from miniport.platform.ports.states import Actor
from miniport.platform.registry import admin, partner_webhooks
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.signing import new_webhook_secret, signed_headers
from tests.factories import World, build_world


def _key_bytes(secret: str) -> bytes:
    assert secret.startswith("whsec_")
    return base64.b64decode(secret.removeprefix("whsec_"), validate=True)


def test_a_secret_is_whsec_and_base64_of_32_random_bytes() -> None:
    first, second = new_webhook_secret(), new_webhook_secret()
    assert len(_key_bytes(first)) == 32
    assert first != second


def test_signed_headers_verify_with_the_standardwebhooks_package() -> None:
    secret = new_webhook_secret()
    headers = signed_headers(secret, message_id="evt_abc", body='{"a":1}', at=utcnow())
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify('{"a":1}', headers) == {"a": 1}


def test_registering_with_a_webhook_url_generates_a_secret(runtime: PlatformRuntime) -> None:
    with runtime.sessions() as session, session.begin():
        brand = admin.create_brand(
            session,
            slug="prada",
            name_zh="普拉达",
            name_en="Prada",
            webhook_url="https://prada.example/hooks",
            cipher=runtime.cipher,
            actor=Actor.system(),
        )
        host, _ = admin.create_host_app(
            session,
            slug="dianping",
            name_zh="大众点评",
            name_en="Dianping",
            redirect_uris=["https://dianping.example/cb"],
            webhook_url="https://dianping.example/hooks",
            cipher=runtime.cipher,
            actor=Actor.system(),
        )
        bare = admin.create_brand(
            session, slug="fendi", name_zh="芬迪", name_en="Fendi", actor=Actor.system()
        )
        brand_secret = webhook_secret(runtime.cipher, brand)
        host_secret = webhook_secret(runtime.cipher, host)
        assert brand_secret and host_secret
        assert len(_key_bytes(brand_secret)) == 32
        assert brand_secret != host_secret
        assert bare.webhook_secret is None


def test_the_first_url_brings_a_secret_a_changed_url_keeps_it(runtime: PlatformRuntime) -> None:
    world: World = build_world(runtime)
    with runtime.sessions() as session, session.begin():
        host = admin.get_host_app(session, world.client_id)
        assert host.webhook_secret is None
        first = partner_webhooks.set_webhook_url(
            session, host, "https://xhs.example/hooks", cipher=runtime.cipher, actor=Actor.system()
        )
        assert first is not None and webhook_secret(runtime.cipher, host) == first
        assert (
            partner_webhooks.set_webhook_url(
                session,
                host,
                "https://xhs.example/hooks/v2",
                cipher=runtime.cipher,
                actor=Actor.system(),
            )
            is None
        )
        assert webhook_secret(runtime.cipher, host) == first
        assert (
            partner_webhooks.set_webhook_url(
                session, host, "", cipher=runtime.cipher, actor=Actor.system()
            )
            is None
        )
        assert host.webhook_url is None and webhook_secret(runtime.cipher, host) == first


def test_rotating_replaces_the_secret_at_once(runtime: PlatformRuntime) -> None:
    world = build_world(runtime)
    with runtime.sessions() as session, session.begin():
        brand = admin.get_brand(session, world.brand_id)
        first = partner_webhooks.set_webhook_url(
            session,
            brand,
            "https://gucci.example/hooks",
            cipher=runtime.cipher,
            actor=Actor.system(),
        )
        rotated = partner_webhooks.rotate_webhook_secret(
            session, brand, cipher=runtime.cipher, actor=Actor.system()
        )
        assert rotated != first and webhook_secret(runtime.cipher, brand) == rotated
        assert len(_key_bytes(rotated)) == 32
