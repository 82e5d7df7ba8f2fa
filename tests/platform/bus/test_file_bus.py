"""The SQLite change bus: two workers (and the CLI) on one database file reach each other."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from miniport.common.clock import utcnow
from miniport.platform.bus.file import MAX_BYTES, FileBus
from miniport.platform.ports.decision import decide
from miniport.platform.ports.lifecycle import Reason, close, find_port
from miniport.platform.ports.states import Actor, ReasonCategory
from miniport.platform.registry.admin import create_operator
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from tests.factories import OPERATOR, build_world


def _wait_closed(runtime: PlatformRuntime, client_id: str, appid: str, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        snapshot = runtime.ports.current()
        if not decide(snapshot, client_id=client_id, appid=appid, user_key="u", now=utcnow()).open:
            return time.monotonic() - started
        time.sleep(0.005)
    raise AssertionError("the other worker never saw the close")


def test_a_close_in_one_worker_reaches_another(platform_settings: PlatformSettings) -> None:
    first, second = (
        PlatformRuntime.build(platform_settings),
        PlatformRuntime.build(platform_settings),
    )
    try:
        assert isinstance(first.bus, FileBus) and isinstance(second.bus, FileBus)
        assert second.bus.wait_connected(5)
        world = build_world(first)
        assert _wait_open(second, world.client_id, world.appid)
        with first.sessions() as session, session.begin():
            port = find_port(session, client_id=world.client_id, appid=world.appid)
            assert port is not None
            close(
                session,
                port.id,
                actor=OPERATOR,
                reason=Reason(ReasonCategory.POLICY, "x"),
                now=utcnow(),
            )
        delay = _wait_closed(second, world.client_id, world.appid, timeout=2)
        assert delay < 0.5
    finally:
        first.close()
        second.close()


def _wait_open(runtime: PlatformRuntime, client_id: str, appid: str) -> bool:
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        snapshot = runtime.ports.current()
        if decide(snapshot, client_id=client_id, appid=appid, user_key="u", now=utcnow()).open:
            return True
        time.sleep(0.005)
    return False


def test_the_cli_reaches_a_running_worker(platform_settings: PlatformSettings) -> None:
    runtime = PlatformRuntime.build(platform_settings)
    try:
        world = build_world(runtime)
        with runtime.sessions() as session:
            port = find_port(session, client_id=world.client_id, appid=world.appid)
            assert port is not None
            port_id = port.id
        with runtime.sessions() as session, session.begin():
            create_operator(
                session,
                runtime.passwords,
                username="ops",
                display_name="Ops",
                password="operator-password",
                actor=Actor.system(),
            )
        env = {
            **os.environ,
            "MINIPORT_PLATFORM_DATA_DIR": str(platform_settings.data_dir),
            "MINIPORT_PLATFORM_ENVIRONMENT": "test",
        }
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("miniport")),
                "port",
                "close",
                str(port_id),
                "--operator",
                "ops",
                "--category",
                "policy",
                "--reason",
                "closed from a shell",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        _wait_closed(runtime, world.client_id, world.appid, timeout=2)
    finally:
        runtime.close()


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_shrunk_file_makes_listeners_reload_everything(tmp_path: Path) -> None:
    heard: list[str] = []
    listener, publisher = FileBus(tmp_path / "bus"), FileBus(tmp_path / "bus")
    listener.subscribe(heard.append)
    listener.start()
    try:
        assert listener.wait_connected(5)
        # Subscribing reloads every topic once (asynchronously); let that settle first.
        _wait_for(lambda: len(set(heard)) == 4)
        heard.clear()
        publisher.publish("ports")
        deadline = time.monotonic() + 2
        while "ports" not in heard and time.monotonic() < deadline:
            time.sleep(0.005)
        assert heard == ["ports"]
        heard.clear()
        (tmp_path / "bus").write_bytes(b"x" * (MAX_BYTES + 1))
        time.sleep(0.1)
        heard.clear()
        publisher.publish("keys")  # cuts the file back, then appends
        deadline = time.monotonic() + 2
        while len(set(heard)) < 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert {"ports", "tokens", "keys", "registry"} <= set(heard)
    finally:
        listener.stop()
        publisher.stop()
