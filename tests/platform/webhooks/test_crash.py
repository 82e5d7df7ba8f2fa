"""A platform process killed with SIGKILL loses no webhook: the outbox is in the database.

The platform runs as a real server process (``miniport serve platform``) on a SQLite file;
the receiver runs in this test. Changes are made through the server (the user's revoke
button) and directly in its database (an operator's port close), then the process is killed
before, or while, it delivers, and started again.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.migrate import upgrade
from miniport.platform.atrest import DataCipher
from miniport.platform.consent.grants import remember_grant
from miniport.platform.ports import lifecycle
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.delivery import DeliveryState
from miniport.platform.webhooks.models import WebhookDelivery
from tests.conftest import make_platform_settings
from tests.factories import PASSWORD, World, build_world
from tests.platform.accounts.pages import csrf_of, sign_in
from tests.platform.webhooks.cli import cli_env
from tests.platform.webhooks.conftest import (
    OPERATOR,
    close_port,
    connect_partners,
    deliveries,
    event_count,
    port_of,
)
from tests.platform.webhooks.receiver import Receiver
from tests.support.servers import free_port


class Platform:
    """``miniport serve platform`` as a child process that can be started, killed, restarted."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "MINIPORT_PLATFORM_BASE_URL": self.url}
        self.log = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, poll_seconds: float) -> None:
        env = self.env | {"MINIPORT_PLATFORM_WEBHOOK_POLL_SECONDS": str(poll_seconds)}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("miniport")), "serve", "platform",
                 "--port", str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.url}/signin", timeout=1.0)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "the platform did not start:\n" + self.log.read_text(errors="replace")
                    ) from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no lifespan shutdown, no flushing, nothing the process can react to."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        assert self.process.returncode == -signal.SIGKILL
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            finally:
                if self.process.poll() is None:
                    self.process.kill()
                self.process = None


@contextmanager
def platform_process(
    tmp_path: Path,
) -> Iterator[tuple[Platform, sessionmaker[Session], World, DataCipher]]:
    settings = make_platform_settings(tmp_path / "platform")
    upgrade("platform", settings.database_url)
    runtime = PlatformRuntime.build(settings)  # only to seed the world; it never delivers
    try:
        world = build_world(runtime)
    finally:
        runtime.close()
    engine: Engine = make_engine(settings.database_url)
    platform = Platform(tmp_path, cli_env(settings))
    try:
        yield platform, make_sessionmaker(engine), world, settings.data_cipher()
    finally:
        platform.stop()
        engine.dispose()


def _revoke_through_the_server(platform: Platform, world: World) -> None:
    with httpx.Client(base_url=platform.url, timeout=10) as browser:
        sign_in(browser, world.username, PASSWORD)
        page = browser.get("/account/authorizations")
        response = browser.post(
            f"/account/authorizations/{world.client_id}/revoke",
            data={"csrf_token": csrf_of(page)},
        )
    assert response.status_code == 303


def port_of_closed(sessions: sessionmaker[Session], world: World) -> int:
    with sessions() as session:
        port = lifecycle.find_port(session, client_id=world.client_id, appid=world.appid)
        assert port is not None and port.state == "closed"
        return port.id


def test_events_committed_before_a_kill_are_delivered_once_after_restart(
    tmp_path: Path, receiver: Receiver
) -> None:
    with platform_process(tmp_path) as (platform, sessions, world, cipher):
        connect_partners(sessions, world, receiver, cipher)
        with sessions() as session, session.begin():
            remember_grant(
                session, user_id=world.user_id, client_id=world.client_id,
                appids=[world.appid], now=utcnow(),
            )  # fmt: skip

        # A delivery thread that would next look in an hour: it runs, but not before the kill.
        platform.start(poll_seconds=3600)
        _revoke_through_the_server(platform, world)  # committed by the server process
        close_port(sessions, port_of(sessions, world), text="brand request")  # by an operator
        pending = deliveries(sessions, "grant.revoked") + deliveries(sessions, "port.closed")
        assert len(pending) == 4
        assert all(d.state == DeliveryState.PENDING and d.attempts == 0 for d in pending)
        platform.kill()
        assert receiver.received == []

        platform.start(poll_seconds=0.2)
        receiver.wait_for(
            lambda: all(
                receiver.events(endpoint, event_type)
                for endpoint in ("host", "brand")
                for event_type in ("grant.revoked", "port.closed")
            )
        )
        receiver.wait_for(
            lambda: all(
                d.state == DeliveryState.DELIVERED
                for d in deliveries(sessions, "grant.revoked") + deliveries(sessions, "port.closed")
            )
        )
        events_before_rollback = event_count(sessions)
        with pytest.raises(RuntimeError), sessions() as session, session.begin():
            lifecycle.reopen(
                session,
                port_of_closed(sessions, world),
                actor=OPERATOR,
                reason=lifecycle.Reason(ReasonCategory.OTHER, "never committed"),
                now=utcnow(),
            )
            raise RuntimeError("the change fails after the reopen")
        receiver_count = len(receiver.received)
        time.sleep(1.0)  # five more polls of the restarted worker: nothing may come, or twice

        assert event_count(sessions) == events_before_rollback
        assert len(receiver.received) == receiver_count == 4
        by_id = Counter((item.endpoint, item.webhook_id) for item in receiver.received)
        assert set(by_id.values()) == {1}  # exactly once per id and receiver
        assert {item.type for item in receiver.received} == {"grant.revoked", "port.closed"}
        assert receiver.rejected == []


def test_a_kill_mid_send_resends_under_the_same_webhook_id(
    tmp_path: Path, receiver: Receiver
) -> None:
    with platform_process(tmp_path) as (platform, sessions, world, cipher):
        connect_partners(sessions, world, receiver, cipher)
        receiver.hold_next.add("host")  # records the request, then never answers it
        platform.start(poll_seconds=0.2)
        close_port(sessions, port_of(sessions, world))

        receiver.wait_for(lambda: len(receiver.events("host")) == 1)
        platform.kill()  # the receiver has the event; the platform never saw an answer
        receiver.release()
        (in_flight,) = [d for d in deliveries(sessions, "port.closed") if d.partner_kind == "host"]
        assert in_flight.state == DeliveryState.PENDING
        assert in_flight.attempts == 0
        assert in_flight.locked_until is not None

        # The dead worker's leases (60 s: the host's, and the brand's if its send had not
        # been recorded yet) stand in the way of an immediate resend; moving them into the
        # past is the same as waiting for them to run out.
        with sessions() as session, session.begin():
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.state == DeliveryState.PENDING)
                .values(locked_until=utcnow() - dt.timedelta(seconds=1))
            )
        platform.start(poll_seconds=0.2)
        receiver.wait_for(lambda: len(receiver.events("host")) == 2)
        receiver.wait_for(
            lambda: all(d.state == "delivered" for d in deliveries(sessions, "port.closed"))
        )

        first, second = receiver.events("host")
        assert first.webhook_id == second.webhook_id  # what the receiver deduplicates on
        assert first.payload == second.payload
        # The brand's copy may or may not have been answered before the kill: once or twice,
        # always under the one id.
        assert {item.webhook_id for item in receiver.events("brand")} == {first.webhook_id}
