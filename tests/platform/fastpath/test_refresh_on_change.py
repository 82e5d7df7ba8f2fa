"""What the lean path holds in memory follows the bus: keys and the client directory."""

from __future__ import annotations

import httpx

from miniport.common.db import make_sessionmaker
from miniport.platform.keys.keyring import rotate
from miniport.platform.ports.states import Actor
from miniport.platform.registry.admin import create_host_app, rotate_host_secret
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World


def _kids(platform_url: str) -> set[str]:
    return {key["kid"] for key in httpx.get(f"{platform_url}/jwks.json").json()["keys"]}


def _client_token(platform_url: str, client_id: str, secret: str) -> httpx.Response:
    return httpx.post(
        f"{platform_url}/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )


def test_jwks_changes_as_soon_as_a_rotation_commits(
    platform_url: str, runtime: PlatformRuntime
) -> None:
    discovery = httpx.get(f"{platform_url}/.well-known/openid-configuration").json()
    before = _kids(platform_url)
    with runtime.sessions() as session, session.begin():
        new_kids = set(rotate(session, cipher=runtime.cipher, actor=Actor.system()))
    # The "keys" topic reloads the keyring at once, not at its 30 s refresh.
    after = _kids(platform_url)
    assert new_kids <= after and before <= after and after != before
    again = httpx.get(f"{platform_url}/.well-known/openid-configuration").json()
    assert again == discovery and again["jwks_uri"] == f"{platform_url}/jwks.json"


def test_a_new_host_app_can_use_the_token_endpoint_at_once(
    platform_url: str, runtime: PlatformRuntime, world: World
) -> None:
    assert _client_token(platform_url, world.client_id, world.client_secret).status_code == 200
    with runtime.sessions() as session, session.begin():
        host, secret = create_host_app(
            session,
            slug="dianping",
            name_zh="大众点评",
            name_en="Dianping",
            redirect_uris=["http://127.0.0.1:9/dp/callback"],
            actor=Actor.system(),
        )
        client_id = host.client_id
    assert _client_token(platform_url, client_id, secret).status_code == 200


def test_a_rotated_secret_is_refused_at_once(
    platform_url: str, runtime: PlatformRuntime, world: World
) -> None:
    old = world.client_secret
    assert _client_token(platform_url, world.client_id, old).status_code == 200  # now cached
    with runtime.sessions() as session, session.begin():
        _, new = rotate_host_secret(session, world.client_id, actor=Actor.system())
    refused = _client_token(platform_url, world.client_id, old)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    introspected = httpx.post(
        f"{platform_url}/introspect", data={"token": "x"}, auth=(world.client_id, old)
    )
    assert introspected.status_code == 401
    assert _client_token(platform_url, world.client_id, new).status_code == 200


def test_a_host_app_registered_without_an_announcement_is_found(
    platform_url: str, runtime: PlatformRuntime
) -> None:
    # Another process (the CLI on SQLite with the in-process bus) announces nothing; an
    # unknown client_id is never cached, so the first call already finds the new row.
    silent = make_sessionmaker(runtime.engine)
    with silent() as session, session.begin():
        host, secret = create_host_app(
            session,
            slug="meituan",
            name_zh="美团",
            name_en="Meituan",
            redirect_uris=["http://127.0.0.1:9/mt/callback"],
            actor=Actor.system(),
        )
        client_id = host.client_id
    assert _client_token(platform_url, client_id, secret).status_code == 200
