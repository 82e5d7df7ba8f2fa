"""Signing-key rotation: new tokens use the new key; tokens signed before still verify."""

from __future__ import annotations

import time
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from miniport.platform.keys.keyring import rotate
from miniport.platform.ports.states import Actor
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from tests.factories import PASSWORD, World, build_world
from tests.support.oidc import AuthorizeParams, Browser, query_of
from tests.support.platform_cli import PlatformCli


def _id_token(platform_url: str, world: World, browser: Browser) -> str:
    params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
    back = browser.authorize(params.query(), username=world.username, password=PASSWORD)
    response = httpx.post(
        f"{platform_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(back.headers["location"])["code"],
            "redirect_uri": world.redirect_uri,
            "code_verifier": params.verifier,
        },
        auth=(world.client_id, world.client_secret),
    )
    token: str = response.json()["id_token"]
    return token


def _verified_kid(token: str, jwks: dict[str, Any]) -> str:
    """The kid of a token whose signature verifies against ``jwks`` (raises otherwise)."""
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])  # type: ignore[arg-type]
    return str(decoded.header["kid"])


def _jwks(platform_url: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{platform_url}/jwks.json").json()
    return body


def test_rotation_keeps_old_tokens_verifiable(platform_url: str, runtime: PlatformRuntime) -> None:
    world = build_world(runtime)
    browser = Browser(platform_url)
    try:
        old_token = _id_token(platform_url, world, browser)
        before = _jwks(platform_url)
        with runtime.sessions() as session, session.begin():
            rotate(session, cipher=runtime.cipher, actor=Actor.system())
        after = _jwks(platform_url)
        new_token = _id_token(platform_url, world, browser)
    finally:
        browser.close()
    old_kids = {key["kid"] for key in before["keys"]}
    new_kids = {key["kid"] for key in after["keys"]}
    assert old_kids < new_kids  # the previous keys are still published
    assert _verified_kid(old_token, after) in old_kids
    assert _verified_kid(new_token, after) in new_kids - old_kids
    # A second rotation retires the first generation; the second still verifies.
    with runtime.sessions() as session, session.begin():
        rotate(session, cipher=runtime.cipher, actor=Actor.system())
    final = _jwks(platform_url)
    assert not (old_kids & {key["kid"] for key in final["keys"]})
    assert _verified_kid(new_token, final) in new_kids


def test_a_rotation_by_the_command_line_reaches_a_running_server_at_once(
    platform_url: str, platform_settings: PlatformSettings
) -> None:
    """``miniport keys rotate`` announces itself on the bus: no wait for the refresh interval
    (30 s by default, far longer than this test waits)."""
    assert platform_settings.keys_refresh_seconds >= 30
    before = {key["kid"] for key in httpx.get(f"{platform_url}/jwks.json").json()["keys"]}
    cli = PlatformCli(platform_settings)
    try:
        rotated = cli.json("keys", "rotate")
    finally:
        cli.close()
    deadline = time.monotonic() + 5
    served = before
    while not set(rotated["active"]) <= served and time.monotonic() < deadline:
        time.sleep(0.05)
        served = {key["kid"] for key in httpx.get(f"{platform_url}/jwks.json").json()["keys"]}
    assert set(rotated["active"]) <= served
    assert before <= served
