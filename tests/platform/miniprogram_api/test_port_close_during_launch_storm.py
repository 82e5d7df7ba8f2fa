"""A close takes effect at once: launches and code exchanges for the port fail from the moment
the brand's close returns, even in the middle of a storm of launches.

200 connections each keep a launch (or the exchange of its code) in flight, before, during
and after the close, which the brand sends through its HTTP API into the full storm. Each
answer is placed against the close by the client's clock: a request sent after the close
returned must fail, launches and exchanges of codes from before the close alike, and every
code handed out in the storm must be dead. The PostgreSQL variant runs the same storm where a
launch orders itself against the close with ``FOR SHARE``.

The storm speaks HTTP/1.1 through h11 on plain sockets: httpx costs more per request than the
in-thread server spends on a launch (both share one interpreter), and with it no more than a
dozen of the 200 requests were ever in flight at once.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import h11
import pytest
from sqlalchemy import func, select

from miniport.common.clock import utcnow
from miniport.common.migrate import upgrade
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.ports import lifecycle
from miniport.platform.ports.lifecycle import Reason, close, reopen
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from tests.conftest import make_platform_settings
from tests.factories import OPERATOR, run_ticket
from tests.platform.miniprogram_api.conftest import USER_KEY, MiniProgramApi, MpWorld, errcode

STORM = 200  # connections, each with a launch or an exchange in flight
CLOSE_AFTER = 2 * STORM  # launches answered before the brand closes the port
EXCHANGE_AT_ONCE = 4  # every 4th connection trades each code at once; the others keep one
DEADLINE = 45.0  # seconds for the whole storm


@pytest.fixture
def platform_settings(
    request: pytest.FixtureRequest, tmp_path: Path, platform_port: int
) -> PlatformSettings:
    """SQLite, as everywhere; PostgreSQL for a test parametrized with ``"postgresql"``."""
    overrides: dict[str, object] = {}
    if getattr(request, "param", "sqlite") == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    settings = make_platform_settings(
        tmp_path / "platform", base_url=f"http://127.0.0.1:{platform_port}", **overrides
    )
    upgrade("platform", settings.database_url)
    return settings


@dataclass(frozen=True)
class Call:
    kind: str  # "launch" | "jscode2session" | "close"
    method: str
    target: str  # path and query
    body: bytes = b""
    code: str = ""  # the code a jscode2session trades


@dataclass(frozen=True)
class Attempt:
    call: Call
    sent_at: float  # client clock, once the request was handed to the socket
    answered_at: float  # client clock, once the answer was read
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.call.kind

    @property
    def succeeded(self) -> bool:
        if self.kind == "launch":
            return self.body.get("errcode") == 0
        return "openid" in self.body


class Connection:
    """One keep-alive HTTP/1.1 connection, one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader, self.writer, self.host = reader, writer, host
        self.http = h11.Connection(our_role=h11.CLIENT)

    @classmethod
    async def open(cls, base_url: str) -> Connection:
        url = urlsplit(base_url)
        assert url.hostname is not None and url.port is not None
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        return cls(reader, writer, url.netloc)

    def write(self, call: Call) -> float:
        """Hand the request to the socket; returns when, by the client's clock."""
        headers = [("host", self.host), ("content-length", str(len(call.body)))]
        if call.body:
            headers.append(("content-type", "application/json"))
        data = self.http.send(h11.Request(method=call.method, target=call.target, headers=headers))
        if call.body:
            data = (data or b"") + (self.http.send(h11.Data(data=call.body)) or b"")
        self.writer.write((data or b"") + (self.http.send(h11.EndOfMessage()) or b""))
        return time.monotonic()

    async def answer(self, call: Call, sent_at: float) -> Attempt:
        await self.writer.drain()
        status, body = await self._read()
        assert status == 200, body
        return Attempt(call, sent_at, time.monotonic(), json.loads(body))

    async def send(self, call: Call) -> Attempt:
        return await self.answer(call, self.write(call))

    async def _read(self) -> tuple[int, bytes]:
        status, body = 0, b""
        while True:
            event = self.http.next_event()
            if event is h11.NEED_DATA:
                self.http.receive_data(await self.reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self.http.start_next_cycle()
                return status, body
            else:
                raise AssertionError(f"unexpected {event!r}")

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@dataclass
class Storm:
    """What the connections share (one event loop: no locks), and how many storm requests
    are in flight at once: handed to the socket, answer not yet read."""

    attempts: list[Attempt] = field(default_factory=list)  # launches and exchanges
    launches_answered: int = 0
    in_flight: int = 0
    most_in_flight: int = 0
    time_to_close: asyncio.Event = field(default_factory=asyncio.Event)
    closed: Attempt | None = None
    in_flight_at_close: int = 0

    async def call(self, conn: Connection, call: Call) -> Attempt:
        sent_at = conn.write(call)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            attempt = await conn.answer(call, sent_at)
        finally:
            self.in_flight -= 1
        self.attempts.append(attempt)
        if call.kind == "launch":
            self.launches_answered += 1
            if self.launches_answered == CLOSE_AFTER:
                self.time_to_close.set()
        return attempt

    def after_the_close(self, attempt: Attempt) -> bool:
        return self.closed is not None and attempt.sent_at > self.closed.answered_at

    @property
    def codes(self) -> list[str]:
        """Every code a launch of the storm handed out."""
        return [a.body["code"] for a in self.attempts if a.kind == "launch" and a.succeeded]

    @property
    def traded(self) -> set[str]:
        return {a.call.code for a in self.attempts if a.kind == "jscode2session" and a.succeeded}


async def _storm(base_url: str, mp_world: MpWorld, ticket: str, brand_token: str) -> Storm:
    launch = Call(
        "launch",
        "POST",
        "/wxa/launch?" + urlencode({"access_token": ticket}),
        json.dumps(
            {"appid": mp_world.appid, "path": "/pages/index", "user_key": USER_KEY}
        ).encode(),
    )
    close = Call(
        "close",
        "POST",
        f"/api/brand/ports/{mp_world.port_id}/close?" + urlencode({"access_token": brand_token}),
        json.dumps({"reason_category": "security", "reason": "suspicious traffic"}).encode(),
    )

    def exchange(code: str) -> Call:
        query = {
            "appid": mp_world.appid,
            "secret": mp_world.app_secret,
            "js_code": code,
            "grant_type": "authorization_code",
        }
        return Call("jscode2session", "GET", "/sns/jscode2session?" + urlencode(query), code=code)

    storm = Storm()

    async def keep_launching(index: int, conn: Connection) -> None:
        kept: str | None = None
        while True:
            launched = await storm.call(conn, launch)
            if launched.succeeded:
                if index % EXCHANGE_AT_ONCE == 0:
                    await storm.call(conn, exchange(launched.body["code"]))
                elif kept is None:
                    kept = launched.body["code"]
            if storm.after_the_close(launched):
                break
        if kept is not None:
            await storm.call(conn, exchange(kept))  # a code from before the close, after it

    async def close_the_port(conn: Connection) -> None:
        await storm.time_to_close.wait()
        storm.in_flight_at_close = storm.in_flight
        storm.closed = await conn.send(close)

    connections = await asyncio.gather(*(Connection.open(base_url) for _ in range(STORM + 1)))
    try:
        await asyncio.gather(
            close_the_port(connections[STORM]),
            *(keep_launching(index, conn) for index, conn in enumerate(connections[:STORM])),
        )
    finally:
        await asyncio.gather(*(conn.close() for conn in connections))
    return storm


@pytest.mark.parametrize(
    "platform_settings",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
def test_no_launch_or_exchange_succeeds_after_the_close_returned(
    api: MiniProgramApi, runtime: PlatformRuntime, mp_world: MpWorld, ticket: str
) -> None:
    brand_token = api.token(mp_world.appid, mp_world.app_secret)
    storm = asyncio.run(
        asyncio.wait_for(_storm(str(api.client.base_url), mp_world, ticket, brand_token), DEADLINE)
    )

    closed = storm.closed
    assert closed is not None and closed.body.get("state") == "closed", closed
    before = [a for a in storm.attempts if a.answered_at < closed.sent_at]
    after = [a for a in storm.attempts if storm.after_the_close(a)]
    racing = [a for a in storm.attempts if a not in before and a not in after]
    # Truly concurrent: every connection had a request in flight at once, the close was sent
    # into a full storm, and launches kept arriving while it ran.
    assert storm.most_in_flight == STORM
    assert storm.in_flight_at_close >= STORM * 9 // 10, storm.in_flight_at_close
    assert len([a for a in racing if a.kind == "launch"]) >= STORM // 2, len(racing)
    # The storm really straddled the close.
    assert any(a.succeeded for a in before if a.kind == "launch"), "nothing launched before"
    assert any(a.succeeded for a in before if a.kind == "jscode2session"), "nothing traded"
    assert len([a for a in after if a.kind == "launch"]) >= STORM
    assert any(a.kind == "jscode2session" for a in after), "no code was traded after the close"
    late_successes = [a for a in after if a.succeeded]
    assert late_successes == []
    # Everything sent after the close names the port close as the reason.
    assert {a.body.get("errcode") for a in after} == {89300}
    assert {a.body["errmsg"] for a in after} == {"port closed: port_closed"}
    # Every code handed out in the storm and not traded is dead now, revoked by the close
    # (launches that raced the close and won included), not merely refused.
    untraded = [code for code in storm.codes if code not in storm.traded]
    late = {errcode(api.jscode2session(mp_world.appid, mp_world.app_secret, c)) for c in untraded}
    assert late == {89300}
    with runtime.sessions() as session:
        assert lifecycle.get_port(session, mp_world.port_id).state == "closed"
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
