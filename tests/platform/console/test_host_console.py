"""The host console: apply with a reason, see states and reasons, manage redirect URIs, the
webhook URL and the client secret."""

from __future__ import annotations

import httpx

from miniport.platform.registry.lookup import authenticate_host_app, find_host_app
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.console.helpers import audit_actions, csrf_of, port_of, post_form


def test_a_host_applies_and_sees_the_brands_answer(
    runtime: PlatformRuntime,
    world: World,
    other_brand: tuple[int, str],
    host_client: httpx.Client,
    brand_client: httpx.Client,
) -> None:
    _brand_id, appid = other_brand
    url = f"/console/host/{world.client_id}"
    assert post_form(host_client, url, "appid", {"appid": appid, "reason": ""}).status_code == 400
    applied = post_form(
        host_client, url, "appid", {"appid": appid, "reason": "our readers ask for it"}
    )
    assert applied.status_code == 303
    port = port_of(runtime, world.client_id, appid)
    assert port.state == "requested" and port.request_reason == "our readers ask for it"
    page = host_client.get(url, params={"lang": "en"}).text
    assert f'data-port-id="{port.id}" data-state="requested"' in page
    assert ("port.requested", f"port:{port.id}", "hank") in audit_actions(runtime)


def test_a_host_manages_redirect_uris_webhook_and_secret(
    runtime: PlatformRuntime, world: World, host_client: httpx.Client
) -> None:
    url = f"/console/host/{world.client_id}"
    uris = "http://127.0.0.1:9/auth/callback\nhttps://notes.example/auth/callback"
    assert post_form(host_client, url, "redirect_uris", {"redirect_uris": uris}).status_code == 303
    bad = post_form(host_client, url, "redirect_uris", {"redirect_uris": "http://evil.example/cb"})
    assert bad.status_code == 400
    hook = post_form(
        host_client, url, "webhook_url", {"webhook_url": "https://notes.example/hooks"}
    )
    assert hook.status_code == 200 and "whsec_" in hook.text  # the signing secret, shown once
    rotated = host_client.post(f"{url}/rotate", data={"csrf_token": csrf_of(host_client, url)})
    start = rotated.text.index('data-testid="secret">') + len('data-testid="secret">')
    secret = rotated.text[start : rotated.text.index("<", start)]
    with runtime.sessions() as session:
        host = find_host_app(session, world.client_id)
        assert host is not None
        assert host.redirect_uris == uris.splitlines()
        assert host.webhook_url == "https://notes.example/hooks"
        assert authenticate_host_app(session, world.client_id, secret) is not None
        assert authenticate_host_app(session, world.client_id, world.client_secret) is None
    actions = [a for a, _t, _u in audit_actions(runtime)]
    for action in ("host.redirect_uris_changed", "host.webhook_url_changed", "host.secret_rotated"):
        assert action in actions
