"""The demo's servers as child processes: started, watched, and stopped, all of them.

Each service runs in a process of its own (``miniport.demo.child``), as it would in a real
deployment, in a session of its own: the terminal's Ctrl-C reaches only the demo, which
then stops the servers in turn — SIGTERM for uvicorn's graceful shutdown, SIGKILL for any
that have not exited after ``STOP_TIMEOUT`` seconds or at a second Ctrl-C. Each child's
output goes to ``<data_dir>/logs/<service>.log``, so the terminal shows only the demo.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from miniport.demo.errors import DemoError
from miniport.demo.layout import LOOPBACK, PARENT_PID_VARIABLE
from miniport.demo.services import ServiceConfig

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
POLL_SECONDS = 0.1
LOG_TAIL_LINES = 15


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As uvicorn binds: a port held only by connections in TIME_WAIT (a demo that just
        # stopped) is free for it, and must not be reported as busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def ensure_ports_free(services: Iterable[tuple[str, int]]) -> None:
    """Refuse duplicate or busy ports, naming each service that cannot have its port."""
    wanted = list(services)
    seen: dict[int, str] = {}
    for label, port in wanted:
        if port in seen:
            raise DemoError(f"{label} and {seen[port]} were both given port {port}")
        seen[port] = label
    busy = [f"{port} ({label})" for label, port in wanted if not port_is_free(port)]
    if busy:
        raise DemoError(
            f"port {', '.join(busy)} on {LOOPBACK} is already in use (is another demo still "
            "running?). Stop whatever holds it, or choose other ports: miniport demo --help."
        )


def child_environment(service: ServiceConfig) -> dict[str, str]:
    # The service's settings are exactly the demo's: a MINIPORT_* variable of the person's
    # shell (a production database URL, a Redis bus) must not leak into a demo server.
    inherited = {
        name: value for name, value in os.environ.items() if not name.startswith("MINIPORT_")
    }
    return {
        **inherited,
        **service.env(),
        PARENT_PID_VARIABLE: str(os.getpid()),
        "PYTHONUNBUFFERED": "1",
    }


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


@dataclass
class Child:
    service: ServiceConfig
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def failure(self, what: str) -> DemoError:
        tail = log_tail(self.log_path)
        detail = f"\n--- last lines of {self.log_path} ---\n{tail}" if tail else ""
        return DemoError(f"{self.service.label} {what}; its log: {self.log_path}{detail}")


class Supervisor:
    """Starts the services' processes; ``stop`` leaves none of them running."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.children: list[Child] = []

    def start(self, service: ServiceConfig) -> Child:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{service.key}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
                [sys.executable, "-m", "miniport.demo.child", service.factory, str(service.port)],
                env=child_environment(service),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own session: the terminal's Ctrl-C goes to the demo alone, which stops
                # the children in order; and killpg reaches anything a child started.
                start_new_session=True,
            )
        child = Child(service, process, log_path)
        self.children.append(child)
        return child

    def wait_ready(
        self,
        child: Child,
        *,
        timeout: float = START_TIMEOUT,
        interrupted: Callable[[], bool] = lambda: False,
    ) -> None:
        """Return once ``child`` answers HTTP; raise ``DemoError`` if it exits or is too slow."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                if not child.running:
                    raise child.failure(f"exited with status {child.process.returncode}")
                try:
                    client.get(child.service.ready_url)
                    return
                except httpx.TransportError:
                    pass
                if interrupted():
                    raise KeyboardInterrupt
                if time.monotonic() > deadline:
                    raise child.failure(f"did not answer within {timeout:.0f} s")
                time.sleep(POLL_SECONDS)

    def exited(self) -> list[Child]:
        """Children that are no longer running (while the demo expects them all to be)."""
        return [child for child in self.children if not child.running]

    def stop(self, *, hurry: Callable[[], bool] = lambda: False) -> None:
        """SIGTERM every child's process group, wait, SIGKILL what is left; reap them all."""
        for child in reversed(self.children):
            if child.running:
                _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(child.running for child in self.children):
            if hurry() or time.monotonic() > deadline:
                break
            time.sleep(POLL_SECONDS)
        for child in self.children:
            # Only running ones: a reaped child's pid (its group id) may belong to a stranger.
            if child.running:
                _signal_group(child, signal.SIGKILL)
            child.process.wait()


def _signal_group(child: Child, signum: signal.Signals) -> None:
    try:
        # With start_new_session the child leads its own process group, whose id is its pid.
        os.killpg(child.process.pid, signum)
    except ProcessLookupError:
        pass  # it exited between the check and the signal
