"""Fixtures for the mini-program API: a world with open ports, a run ticket, an API client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from miniport.platform.ports.models import Port
from miniport.platform.ports.states import Actor
from miniport.platform.registry.admin import rotate_mini_program_secret
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, build_world, run_ticket

USER_KEY = "host-user-7f3a"


@dataclass(frozen=True)
class MpWorld(World):
    """``World`` plus what these tests need: the second mini program's secret, the port ids."""

    second_app_secret: str = ""
    port_id: int = 0
    second_port_id: int = 0


@pytest.fixture
def mp_world(runtime: PlatformRuntime) -> MpWorld:
    world = build_world(runtime)
    with runtime.sessions() as session, session.begin():
        # build_world keeps only the first mini program's secret; mint a known one.
        _mp, second_secret = rotate_mini_program_secret(
            session, world.second_appid, actor=Actor.system()
        )
        ports = dict(
            session.execute(
                select(Port.appid, Port.id).where(Port.client_id == world.client_id)
            ).all()
        )
    return MpWorld(
        **asdict(world),
        second_app_secret=second_secret,
        port_id=ports[world.appid],
        second_port_id=ports[world.second_appid],
    )


@pytest.fixture
def ticket(platform_url: str, mp_world: MpWorld) -> str:
    """A run ticket of the world's user covering both mini programs of the brand."""
    return run_ticket(platform_url, mp_world, [mp_world.appid, mp_world.second_appid])


class MiniProgramApi:
    """The mini-program API over HTTP, as a partner's server would call it."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def launch(
        self, ticket: str | None, appid: str, path: str = "/pages/index", **extra: Any
    ) -> httpx.Response:
        body: dict[str, Any] = {"appid": appid, "path": path, "user_key": USER_KEY, **extra}
        params = {"access_token": ticket} if ticket is not None else {}
        return self.client.post("/wxa/launch", params=params, json=body)

    def jscode2session(self, appid: str, secret: str, code: str) -> httpx.Response:
        return self.client.get(
            "/sns/jscode2session",
            params={
                "appid": appid,
                "secret": secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )

    def token(self, appid: str, secret: str) -> str:
        answer = self.client.get(
            "/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": appid, "secret": secret},
        ).json()
        assert "access_token" in answer, answer
        value: str = answer["access_token"]
        return value

    def code(self, ticket: str, appid: str, path: str = "/pages/index") -> str:
        answer = self.launch(ticket, appid, path).json()
        assert answer.get("errcode") == 0, answer
        value: str = answer["code"]
        return value


@pytest.fixture
def api(platform_url: str) -> Iterator[MiniProgramApi]:
    with httpx.Client(base_url=platform_url, timeout=30) as client:
        yield MiniProgramApi(client)


def errcode(response: httpx.Response) -> int:
    """The errcode of an answer that must be HTTP 200 JSON, as the API family answers."""
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("errcode"), int) and isinstance(body.get("errmsg"), str), body
    code: int = body["errcode"]
    return code
