"""Registry and account factories for tests: real rows through the domain functions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.accounts.users import create_user
from miniport.platform.ports.lifecycle import Reason, apply_for_port, approve
from miniport.platform.ports.states import Actor, ActorKind, PortState, ReasonCategory
from miniport.platform.registry.admin import create_brand, create_host_app, create_mini_program
from miniport.platform.runtime import PlatformRuntime
from tests.support.oidc import AuthorizeParams, Browser, query_of

PASSWORD = "correct horse battery"
OPERATOR = Actor(ActorKind.OPERATOR, "test-operator")


def open_port(session: Session, *, client_id: str, appid: str) -> int:
    """Apply for and approve a port as an operator; returns the port id."""
    now = utcnow()
    port = apply_for_port(
        session, client_id=client_id, appid=appid, reason_text="test", actor=OPERATOR, now=now
    )
    if port.state != PortState.OPEN:
        approve(session, port.id, actor=OPERATOR, reason=Reason(ReasonCategory.POLICY), now=now)
    return port.id


@dataclass(frozen=True)
class World:
    """One brand with two mini programs, two host apps, and a user — enough for most flows."""

    brand_id: int
    appid: str
    app_secret: str
    second_appid: str
    client_id: str
    client_secret: str
    redirect_uri: str
    other_client_id: str
    other_client_secret: str
    username: str
    user_id: int


def build_world(runtime: PlatformRuntime, *, host_alg: str = "RS256") -> World:
    with runtime.sessions() as session, session.begin():
        brand = create_brand(
            session, slug="gucci", name_zh="古驰", name_en="Gucci", actor=Actor.system()
        )
        mp, mp_secret = create_mini_program(
            session,
            brand_id=brand.id,
            name_zh="GUCCI古驰线上旗舰店",
            name_en="GUCCI Online Flagship Store",
            entry_url="http://127.0.0.1:9/mp/entry",
            allowed_paths=["/pages/index", "/pages/product"],
            actor=Actor.system(),
        )
        mp2, _ = create_mini_program(
            session,
            brand_id=brand.id,
            name_zh="古驰美妆",
            name_en="Gucci Beauty",
            entry_url="http://127.0.0.1:9/beauty/entry",
            allowed_paths=["/pages/index"],
            actor=Actor.system(),
        )
        redirect_uri = "http://127.0.0.1:9/auth/callback"
        host, host_secret = create_host_app(
            session,
            slug="xiaohongshu",
            name_zh="小红书",
            name_en="Xiaohongshu",
            redirect_uris=[redirect_uri],
            id_token_alg=host_alg,
            actor=Actor.system(),
        )
        other, other_secret = create_host_app(
            session,
            slug="jd",
            name_zh="京东",
            name_en="JD",
            redirect_uris=["http://127.0.0.1:9/jd/callback"],
            actor=Actor.system(),
        )
        user = create_user(
            session, runtime.passwords, username="lin", display_name="林", password=PASSWORD
        )
        for appid in (mp.appid, mp2.appid):
            open_port(session, client_id=host.client_id, appid=appid)
        return World(
            brand_id=brand.id,
            appid=mp.appid,
            app_secret=mp_secret,
            second_appid=mp2.appid,
            client_id=host.client_id,
            client_secret=host_secret,
            redirect_uri=redirect_uri,
            other_client_id=other.client_id,
            other_client_secret=other_secret,
            username=user.username,
            user_id=user.id,
        )


def run_ticket(
    platform_url: str,
    world: World,
    appids: Sequence[str] = (),
    *,
    username: str | None = None,
    password: str = PASSWORD,
) -> str:
    """A run ticket (access token) for the world's host, through the real authorization code
    flow: sign-in and consent pages driven as a browser would, then PKCE at ``/token``."""
    appids = list(appids) or [world.appid]
    details = json.dumps(
        [{"type": "miniprogram_run", "appid": appid, "path": "/pages/index"} for appid in appids]
    )
    params = AuthorizeParams.new(world.client_id, world.redirect_uri, appids[0])
    browser = Browser(platform_url)
    try:
        back = browser.authorize(
            params.query(authorization_details=details),
            username=username or world.username,
            password=password,
        )
        location = back.headers.get("location", "")
        assert location.startswith(world.redirect_uri), back.text[:500]
        code = query_of(location)["code"]
    finally:
        browser.close()
    response = httpx.post(
        f"{platform_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": world.redirect_uri,
            "code_verifier": params.verifier,
        },
        auth=(world.client_id, world.client_secret),
    )
    assert response.status_code == 200, response.text
    ticket: str = response.json()["access_token"]
    return ticket
