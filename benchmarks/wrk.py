"""Running Debian's ``wrk`` against the local server and reading its result line.

Every script under ``lua/`` loads ``report.lua``, whose ``done`` hook prints one
``BENCH_RESULT {json}`` line with exact counts and latency percentiles in microseconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LUA_DIR = Path(__file__).parent / "lua"
LOOPBACK = "127.0.0.1"
RESULT_PREFIX = "BENCH_RESULT "


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed no result."""


@dataclass(frozen=True)
class WrkRun:
    requests: int
    duration_s: float
    status_errors: int
    socket_errors: int
    app_errors: int  # HTTP 200 answers that carried a non-zero errcode
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    # Every single-use input of the file was sent before the time was up: wrk idled for the
    # rest of the run, so its req/s would understate the server.
    inputs_exhausted: bool = False

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def clean(self) -> bool:
        """Every response was 2xx/3xx and no socket failed: the number means something."""
        return (
            self.status_errors == 0
            and self.socket_errors == 0
            and self.app_errors == 0
            and not self.inputs_exhausted
        )


@dataclass(frozen=True)
class Load:
    """How hard and how long wrk pushes, and on which CPU it runs."""

    connections: int = 32
    threads: int = 1
    duration_s: float = 10.0
    cpu: int | None = 1


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkError("wrk is not installed; on Debian: apt-get install -y wrk")
    return found


def _pinned(command: list[str], cpu: int | None) -> list[str]:
    taskset = shutil.which("taskset")
    if cpu is None or taskset is None:
        return command
    return [taskset, "-c", str(cpu), *command]


def run_wrk(url: str, *, script: str, env: dict[str, str], load: Load) -> WrkRun:
    """One wrk run of ``load.duration_s`` seconds against ``url`` (loopback only)."""
    if urlsplit(url).hostname != LOOPBACK:
        # The harness measures this machine's server; it must never load anything else.
        raise WrkError(f"refusing to load {url}: only {LOOPBACK} is benchmarked")
    command = _pinned(
        [
            wrk_binary(),
            f"-t{load.threads}",
            f"-c{load.connections}",
            f"-d{max(1, round(load.duration_s))}s",
            "--timeout",
            "5s",
            "-s",
            str(LUA_DIR / script),
            url,
        ],
        load.cpu,
    )
    completed = subprocess.run(
        command,
        env={**os.environ, "BENCH_LUA_DIR": str(LUA_DIR), **env},
        capture_output=True,
        text=True,
        timeout=load.duration_s + 60,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            data = json.loads(line[len(RESULT_PREFIX) :])
            return WrkRun(
                requests=data["requests"],
                duration_s=data["duration_us"] / 1e6,
                status_errors=data["status_errors"],
                socket_errors=data["socket_errors"],
                app_errors=data["app_errors"],
                p50_ms=data["p50_us"] / 1000,
                p90_ms=data["p90_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                max_ms=data["max_us"] / 1000,
                inputs_exhausted=bool(data["ran_out"]),
            )
    raise WrkError(
        f"wrk printed no result (exit {completed.returncode}): "
        f"{(completed.stderr or completed.stdout)[-2000:]}"
    )
