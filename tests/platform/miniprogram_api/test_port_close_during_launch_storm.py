"""A close takes effect at once: launches and code exchanges for the port fail from the moment
the operator's close returns, even in the middle of a storm of launches."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from miniport.common.clock import utcnow
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.ports.lifecycle import Reason, close, reopen
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from tests.factories import OPERATOR, run_ticket
from tests.platform.miniprogram_api.conftest import USER_KEY, MiniProgramApi, MpWorld, errcode

LAUNCHES = 200
CLOSE_AFTER = 60  # launches answered before the operator closes the port


@dataclass(frozen=True)
class Attempt:
    kind: str  # "launch" | "jscode2session"
    sent_at: float  # client clock, taken before the request left
    body: dict[str, Any]

    @property
    def succeeded(self) -> bool:
        if self.kind == "launch":
            return self.body.get("errcode") == 0
        return "openid" in self.body


def _close(runtime: PlatformRuntime, port_id: int) -> None:
    with runtime.sessions() as session:
        close(
            session,
            port_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.SECURITY, "suspicious traffic"),
            now=utcnow(),
        )
        session.commit()


def test_no_launch_or_exchange_succeeds_after_the_close_returned(
    platform_url: str, runtime: PlatformRuntime, mp_world: MpWorld, ticket: str
) -> None:
    attempts: list[Attempt] = []
    kept_codes: list[str] = []
    lock = threading.Lock()
    answered = 0
    time_to_close = threading.Event()
    close_returned_at: list[float] = []

    def record(kind: str, sent_at: float, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        with lock:
            attempts.append(Attempt(kind, sent_at, body))
        return body

    def closer() -> None:
        time_to_close.wait(timeout=60)
        _close(runtime, mp_world.port_id)
        close_returned_at.append(time.monotonic())

    def one_launch(client: httpx.Client, index: int) -> None:
        nonlocal answered
        sent_at = time.monotonic()
        response = client.post(
            "/wxa/launch",
            params={"access_token": ticket},
            json={"appid": mp_world.appid, "path": "/pages/index", "user_key": USER_KEY},
        )
        body = record("launch", sent_at, response)
        with lock:
            answered += 1
            if answered == CLOSE_AFTER:
                time_to_close.set()
        if body.get("errcode") != 0:
            return
        if index % 2:
            with lock:
                kept_codes.append(body["code"])  # exchanged after the storm
            return
        sent_at = time.monotonic()
        exchanged = client.get(
            "/sns/jscode2session",
            params={
                "appid": mp_world.appid,
                "secret": mp_world.app_secret,
                "js_code": body["code"],
                "grant_type": "authorization_code",
            },
        )
        record("jscode2session", sent_at, exchanged)

    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    with httpx.Client(base_url=platform_url, timeout=60, limits=limits) as client:
        closing = threading.Thread(target=closer)
        closing.start()
        with ThreadPoolExecutor(max_workers=48) as pool:
            list(pool.map(lambda index: one_launch(client, index), range(LAUNCHES)))
        closing.join(timeout=60)

    assert close_returned_at, "the close never ran"
    closed_at = close_returned_at[0]
    launches = [a for a in attempts if a.kind == "launch"]
    assert len(launches) == LAUNCHES
    before = [a for a in attempts if a.sent_at < closed_at]
    after = [a for a in attempts if a.sent_at > closed_at]
    # The storm really straddled the close.
    assert any(a.succeeded for a in before), "no launch succeeded before the close"
    assert len([a for a in after if a.kind == "launch"]) >= 20, "the close came too late"
    late_successes = [a for a in after if a.succeeded]
    assert late_successes == []
    # Everything sent after the close names the port close as the reason.
    assert {a.body.get("errcode") for a in after} == {89300}
    assert {a.body["errmsg"] for a in after} == {"port closed: port_closed"}
    # Every code handed out before the close is dead now, and was revoked, not just refused.
    with httpx.Client(base_url=platform_url, timeout=30) as client:
        api = MiniProgramApi(client)
        for code in kept_codes:
            late = api.jscode2session(mp_world.appid, mp_world.app_secret, code)
            assert errcode(late) == 89300
    with runtime.sessions() as session:
        live = session.scalar(
            select(func.count())
            .select_from(LaunchCode)
            .where(
                LaunchCode.port_id == mp_world.port_id,
                LaunchCode.used_at.is_(None),
                LaunchCode.revoked_at.is_(None),
            )
        )
    assert live == 0


def test_reopening_allows_new_launches_while_revoked_codes_stay_dead(
    api: MiniProgramApi, platform_url: str, runtime: PlatformRuntime, mp_world: MpWorld, ticket: str
) -> None:
    old_code = api.code(ticket, mp_world.appid)
    _close(runtime, mp_world.port_id)
    assert errcode(api.launch(ticket, mp_world.appid)) == 89300
    with runtime.sessions() as session:
        reopen(
            session,
            mp_world.port_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.OTHER, "resolved"),
            now=utcnow(),
        )
        session.commit()
    # The old run ticket died with the close; a new authorization gives a new one.
    assert errcode(api.launch(ticket, mp_world.appid)) == 40001
    new_ticket = run_ticket(platform_url, mp_world)
    new_code = api.code(new_ticket, mp_world.appid)
    assert "openid" in api.jscode2session(mp_world.appid, mp_world.app_secret, new_code).json()
    stale = api.jscode2session(mp_world.appid, mp_world.app_secret, old_code)
    assert errcode(stale) == 40029 and "revoked" in stale.json()["errmsg"]


def test_closing_one_port_leaves_the_other_mini_program_running(
    api: MiniProgramApi, platform_url: str, runtime: PlatformRuntime, mp_world: MpWorld
) -> None:
    beauty_ticket = run_ticket(platform_url, mp_world, [mp_world.second_appid])
    flagship_ticket = run_ticket(platform_url, mp_world, [mp_world.appid])
    beauty_code = api.code(beauty_ticket, mp_world.second_appid)
    _close(runtime, mp_world.port_id)
    assert errcode(api.launch(flagship_ticket, mp_world.appid)) == 89300
    answer = api.jscode2session(mp_world.second_appid, mp_world.second_app_secret, beauty_code)
    assert "openid" in answer.json()
    assert api.launch(beauty_ticket, mp_world.second_appid).json()["errcode"] == 0
