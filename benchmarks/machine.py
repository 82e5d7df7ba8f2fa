"""How busy the machine is with work that is not ours, measured between runs.

A benchmark on a shared machine measures its neighbours too. Between runs, while our server
idles, any CPU time spent is someone else's: the harness waits for a quiet moment before each
run and records how busy the machine was, so a table taken during someone's test suite says
so instead of passing for the machine's capacity.
"""

from __future__ import annotations

import time
from pathlib import Path

STAT = Path("/proc/stat")


def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies over all CPUs, or None where /proc/stat does not exist."""
    try:
        fields = STAT.read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    values = [int(value) for value in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values) - idle, sum(values)


def busy_share(interval: float = 1.0) -> float | None:
    """The share (0–1) of all CPUs that was busy during the next ``interval`` seconds."""
    before = _cpu_times()
    time.sleep(interval)
    after = _cpu_times()
    if before is None or after is None or after[1] == before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])


def wait_for_quiet(*, threshold: float, timeout: float) -> float | None:
    """Wait until at most ``threshold`` of the CPUs is busy (or ``timeout`` passed).

    Returns the last share seen, which the report shows next to the run.
    """
    deadline = time.monotonic() + timeout
    share = busy_share()
    while share is not None and share > threshold and time.monotonic() < deadline:
        share = busy_share()
    return share
