"""A brand sets where it receives webhooks and rotates their signing secret in its console,
as a host can in its own; another brand's or a host's staff cannot."""

from __future__ import annotations

from contextlib import closing

import httpx
from sqlalchemy import select

from miniport.platform.atrest.columns import webhook_secret
from miniport.platform.audit.changes import fingerprint
from miniport.platform.audit.models import AuditEntry
from miniport.platform.registry.lookup import find_brand
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.console.factories import make_brand_member, signed_in
from tests.platform.console.helpers import csrf_of, post_form


def _secret_shown(response: httpx.Response) -> str:
    start = response.text.index('data-testid="secret">') + len('data-testid="secret">')
    return response.text[start : response.text.index("<", start)]


def _brand_entries(runtime: PlatformRuntime, brand_id: int) -> list[AuditEntry]:
    """The brand's audit entries after its registration (``brand.created``, by the world)."""
    with runtime.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.target_kind == "brand",
                    AuditEntry.target_id == str(brand_id),
                    AuditEntry.action != "brand.created",
                )
                .order_by(AuditEntry.seq)
            )
        )


def test_a_brand_member_sets_its_webhook_url_and_rotates_the_secret(
    runtime: PlatformRuntime, world: World, brand_client: httpx.Client
) -> None:
    home = f"/console/brand/{world.brand_id}"
    first = post_form(brand_client, home, "webhook_url", {"webhook_url": "https://gucci.example/h"})
    # The first URL brings a signing secret, shown in this response only.
    assert first.status_code == 200
    secret = _secret_shown(first)
    assert secret.startswith("whsec_")

    moved = post_form(
        brand_client, home, "webhook_url", {"webhook_url": "https://gucci.example/v2"}
    )
    assert moved.status_code == 303 and moved.headers["location"] == f"{home}?done=saved"
    page = brand_client.get(home, params={"lang": "en"}).text
    assert 'value="https://gucci.example/v2"' in page and secret not in page

    csrf = csrf_of(brand_client, home)
    rotated = brand_client.post(f"{home}/webhook/rotate", data={"csrf_token": csrf})
    assert rotated.status_code == 200
    new_secret = _secret_shown(rotated)
    assert new_secret.startswith("whsec_") and new_secret != secret

    with runtime.sessions() as session:
        brand = find_brand(session, world.brand_id)
        assert brand is not None
        assert brand.webhook_url == "https://gucci.example/v2"
        assert webhook_secret(runtime.cipher, brand) == new_secret
    entries = _brand_entries(runtime, world.brand_id)
    assert [(e.action, e.actor_kind, e.actor_id, e.actor_user) for e in entries] == [
        ("brand.webhook_url_changed", "brand", str(world.brand_id), "bella"),
        ("brand.webhook_url_changed", "brand", str(world.brand_id), "bella"),
        ("brand.webhook_secret_rotated", "brand", str(world.brand_id), "bella"),
    ]
    assert entries[0].before == {"webhook_url": None}
    assert entries[0].after == {
        "webhook_url": "https://gucci.example/h",
        "webhook_secret": fingerprint(secret),
    }
    assert entries[2].before == {"webhook_secret": fingerprint(secret)}
    assert entries[2].after == {"webhook_secret": fingerprint(new_secret)}
    logged = repr([(e.before, e.after) for e in entries])
    assert secret not in logged and new_secret not in logged


def test_a_bad_url_gets_a_readable_message_and_changes_nothing(
    runtime: PlatformRuntime, world: World, brand_client: httpx.Client
) -> None:
    home = f"/console/brand/{world.brand_id}"
    for bad in ("ftp://gucci.example/h", "gucci.example", "https://gucci.example/h#x"):
        refused = post_form(brand_client, home + "?lang=en", "webhook_url", {"webhook_url": bad})
        assert refused.status_code == 400, bad
        assert 'data-testid="console-error"' in refused.text
        assert "must be a complete http:// or https:// address" in refused.text
    zh = post_form(brand_client, home + "?lang=zh_CN", "webhook_url", {"webhook_url": "nope"})
    assert zh.status_code == 400 and "Webhook 地址必须是完整的" in zh.text
    with runtime.sessions() as session:
        brand = find_brand(session, world.brand_id)
        assert brand is not None and brand.webhook_url is None and brand.webhook_secret is None
    assert _brand_entries(runtime, world.brand_id) == []


def test_removing_the_url_is_saved_and_audited(
    runtime: PlatformRuntime, world: World, brand_client: httpx.Client
) -> None:
    home = f"/console/brand/{world.brand_id}"
    post_form(brand_client, home, "webhook_url", {"webhook_url": "http://127.0.0.1:9/hooks"})
    removed = post_form(brand_client, home, "webhook_url", {"webhook_url": ""})
    assert removed.status_code == 303
    last = _brand_entries(runtime, world.brand_id)[-1]
    assert (last.before, last.after) == (
        {"webhook_url": "http://127.0.0.1:9/hooks"},
        {"webhook_url": None},
    )


def test_another_brands_member_and_a_host_member_are_refused(
    platform_url: str,
    runtime: PlatformRuntime,
    world: World,
    other_brand: tuple[int, str],
    host_client: httpx.Client,
) -> None:
    other_id, _appid = other_brand
    prada = signed_in(platform_url, make_brand_member(runtime, other_id, username="paola"))
    target = f"/console/brand/{world.brand_id}"
    with closing(prada):
        for client, own_page in (
            (prada, f"/console/brand/{other_id}"),
            (host_client, f"/console/host/{world.client_id}"),
        ):
            # A valid CSRF token of the attacker's own session: only the membership refuses.
            csrf = csrf_of(client, own_page)
            for action, data in (
                ("url", {"webhook_url": "https://evil.example/h"}),
                ("rotate", {}),
            ):
                refused = client.post(
                    f"{target}/webhook/{action}", data={"csrf_token": csrf, **data}
                )
                assert refused.status_code == 404, (own_page, action)
                assert "whsec_" not in refused.text
    with runtime.sessions() as session:
        brand = find_brand(session, world.brand_id)
        assert brand is not None and brand.webhook_url is None and brand.webhook_secret is None
    assert _brand_entries(runtime, world.brand_id) == []


def test_the_webhook_forms_need_their_csrf_token(
    runtime: PlatformRuntime, world: World, brand_client: httpx.Client
) -> None:
    home = f"/console/brand/{world.brand_id}"
    brand_client.get(home)
    for action, data in (("url", {"webhook_url": "https://gucci.example/h"}), ("rotate", {})):
        forged = brand_client.post(f"{home}/webhook/{action}", data=data)
        assert forged.status_code == 403, action
    assert _brand_entries(runtime, world.brand_id) == []
