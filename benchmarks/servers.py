"""Starting the platform under uvicorn or granian (one worker, pinned) and stopping it again.

The server runs in its own process group, so stopping it also stops whatever it spawned
(granian's worker process); only that group is signalled, never anything found by name.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.wrk import LOOPBACK

FACTORY = "miniport.platform.web.asgi:create_app_from_env"
READY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class ServerChoice:
    """Which ASGI server, and for uvicorn which event loop and HTTP parser."""

    name: str = "uvicorn"  # "uvicorn" | "granian"
    loop: str = "auto"
    http: str = "auto"

    @property
    def label(self) -> str:
        if self.name == "uvicorn":
            return f"uvicorn --loop {self.loop} --http {self.http}"
        return f"granian --interface asgi --loop {self.loop}"

    @property
    def key(self) -> str:
        """A short identifier, used to keep one generated block per server in RESULTS.md."""
        return f"{self.name}-{self.loop}-{self.http}" if self.name == "uvicorn" else self.name

    def version(self) -> str:
        return importlib.metadata.version(self.name)

    def command(self, port: int) -> list[str]:
        if self.name == "uvicorn":
            # `miniport serve platform` itself (benchmarks.serve), so the table describes
            # what people run: its uvicorn options, its edge and its access log.
            return [sys.executable, "-m", "benchmarks.serve", str(port), self.loop, self.http]
        if self.name == "granian":
            return [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--factory",
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--workers",
                "1",
                "--loop",
                self.loop,
                "--no-ws",
                "--log-level",
                "warning",
                # granian's own access log: the platform's edge writes one (or not, as its
                # settings say), as under `miniport serve platform`.
                "--no-access-log",
                FACTORY,
            ]
        raise ValueError(f"unknown server {self.name}")


@dataclass(frozen=True)
class RunningServer:
    url: str
    pid: int
    # Where the server's standard output (its access log) goes.
    access_log: Path | None = None

    def truncate_access_log(self) -> None:
        """Empty the access log: a run at tens of thousands of requests a second writes
        hundreds of megabytes. The server appends (O_APPEND), so it writes on at the start."""
        if self.access_log is not None:
            os.truncate(self.access_log, 0)

    def process_ids(self) -> list[int]:
        """The server and its descendants (granian serves from a child process)."""
        return _descendants(self.pid)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far."""
        total = 0
        for pid in self.process_ids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
        return total / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory of the process that serves (the deepest descendant), in MB."""
        pid = self.process_ids()[-1]
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise ServerFailed(f"no VmRSS for process {pid}")


def _descendants(pid: int) -> list[int]:
    found = [pid]
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += _descendants(int(child))
    return found


class ServerFailed(RuntimeError):
    """The server exited or never answered."""


def pinned(command: list[str], cpu: int | None) -> list[str]:
    taskset = shutil.which("taskset")
    if cpu is None or taskset is None:
        return command
    return [taskset, "-c", str(cpu), *command]


def stop_group(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """SIGTERM the process group we started, then SIGKILL it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)
    except ProcessLookupError:
        pass


@contextmanager
def running_server(
    choice: ServerChoice, *, port: int, env: dict[str, str], cpu: int | None, log: Path
) -> Iterator[RunningServer]:
    """The platform served on 127.0.0.1:port until the block ends.

    Its standard error goes to ``log``, its standard output (the access log, written as in
    production: to a file) to ``<log>-access.log`` beside it.
    """
    access_log = log.with_name(log.stem + "-access.log")
    with log.open("wb") as log_file, access_log.open("ab") as access_file:
        process = subprocess.Popen(
            pinned(choice.command(port), cpu),
            env={**os.environ, **env},
            stdout=access_file,
            stderr=log_file,
            start_new_session=True,  # its own process group, stopped as one
        )
        try:
            url = f"http://{LOOPBACK}:{port}"
            _wait_ready(process, url + READY_PATH, log)
            yield RunningServer(url, process.pid, access_log)
        finally:
            stop_group(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerFailed(f"the server exited ({process.returncode}):\n{_tail(log)}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise ServerFailed(f"the server did not answer {url} within 60 s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else ""
