"""Medians, targets and the generated block of ``benchmarks/RESULTS.md``.

RESULTS.md mixes prose written by people (what was tried and what it gave) with tables this
harness writes. Each server configuration owns one block between HTML comment markers; a run
replaces only its own block and leaves everything else in the file as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from benchmarks.wrk import WrkRun

P99_LIMIT_MS = 25.0


@dataclass(frozen=True)
class HttpResult:
    name: str
    request: str
    target_rps: float
    runs: tuple[WrkRun, ...]
    # Share of all CPUs other processes used just before each run (None: not measurable).
    background: tuple[float | None, ...] = ()
    # CPU seconds the server's processes used during each run.
    server_cpu_s: tuple[float, ...] = ()
    error: str = ""  # why the endpoint could not be measured at all

    @property
    def per_cpu_second(self) -> float | None:
        """Median requests served per CPU-second of the server: what one core would do if
        the server had it all. Robust to neighbours taking the CPU, unlike req/s."""
        rates = [
            run.requests / cpu
            for run, cpu in zip(self.runs, self.server_cpu_s, strict=True)
            if cpu > 0
        ]
        return statistics.median(rates) if rates else None

    @property
    def server_cpu_share(self) -> float | None:
        shares = [
            cpu / run.duration_s for run, cpu in zip(self.runs, self.server_cpu_s, strict=True)
        ]
        return statistics.median(shares) if shares else None

    @property
    def busiest_background(self) -> float | None:
        shares = [share for share in self.background if share is not None]
        return max(shares) if shares else None

    @property
    def rps(self) -> float:
        return statistics.median(run.rps for run in self.runs)

    @property
    def p50_ms(self) -> float:
        return statistics.median(run.p50_ms for run in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.median(run.p99_ms for run in self.runs)

    @property
    def clean(self) -> bool:
        return all(run.clean for run in self.runs)

    @property
    def passed(self) -> bool:
        return (
            bool(self.runs)
            and self.clean
            and self.rps >= self.target_rps
            and self.p99_ms < P99_LIMIT_MS
        )


@dataclass(frozen=True)
class Paired:
    """One endpoint on the two servers loaded at once: each run's requests, on / off."""

    name: str
    ratios: tuple[float, ...]
    error: str = ""

    @property
    def ratio(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None


@dataclass(frozen=True)
class InProcessResult:
    """A measurement made inside one Python process (decisions/s, RSS, rebuild time)."""

    name: str
    value: float
    unit: str
    target: str
    passed: bool | None  # None: recorded for context, no target of its own
    note: str = ""


@dataclass
class Report:
    server_label: str
    server_version: str
    runs: int
    duration_s: float
    connections: int
    pinned: bool
    only: Sequence[str] = ()
    load_average: tuple[float, float, float] = field(default_factory=os.getloadavg)
    http: list[HttpResult] = field(default_factory=list)
    in_process: list[InProcessResult] = field(default_factory=list)
    # With the access log on and off measured side by side (on the "on" report only).
    paired: list[Paired] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.http) and all(
            item.passed is not False for item in self.in_process
        )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.replace("|", "/").split())[:200]


def _count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _verdict(passed: bool | None) -> str:
    return {True: "pass", False: "**miss**", None: "(context)"}[passed]


def _ms(value: float) -> str:
    return f"{value:.2f} ms"


def render(report: Report) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    placement = (
        "server pinned to CPU 0 and wrk to CPU 1 with `taskset`"
        if report.pinned
        else "not pinned (taskset missing or fewer than two CPUs)"
    )
    lines = [
        f"### {report.server_label}",
        "",
        f"- date: {now}",
        f"- machine: `nproc` = {os.cpu_count()}, CPU: {cpu_model()}, Linux {platform.release()}",
        f"- Python {platform.python_version()}, {report.server_label} "
        f"({report.server_version}), one worker; {placement}",
        f"- load: `wrk -t1 -c{report.connections} -d{report.duration_s:g}s`, "
        f"{report.runs} runs per endpoint after a warm-up; medians of the runs",
    ]
    one, five, fifteen = report.load_average
    lines.append(f"- load average when the run started: {one:.2f} / {five:.2f} / {fifteen:.2f}")
    if report.only:
        lines.append(f"- partial run: only {', '.join(report.only)}")
    if report.http:
        lines += [
            "",
            "| endpoint | request | req/s (median; each run) | p50 | p99 | target | result "
            "| server's CPU use | req per server CPU-second | others' CPU before runs (max) |",
            "|---|---|---:|---:|---:|---|---|---:|---:|---:|",
        ]
        for result in report.http:
            if not result.runs:
                lines.append(
                    f"| {result.name} | {result.request} | — | — | — | "
                    f"≥ {result.target_rps:,.0f} req/s, p99 < {P99_LIMIT_MS:g} ms | "
                    f"**failed**: {_cell(result.error)} | — | — | — |"
                )
                continue
            runs = ", ".join(f"{run.rps:,.0f}" for run in result.runs)
            verdict = "pass" if result.passed else "**miss**"
            if not result.clean:
                errors = sum(
                    run.status_errors + run.socket_errors + run.app_errors for run in result.runs
                )
                verdict = f"**invalid** ({errors} failed responses)"
                if any(run.inputs_exhausted for run in result.runs):
                    verdict = "**invalid** (ran out of single-use inputs)"
            lines.append(
                f"| {result.name} | {result.request} | {result.rps:,.0f} ({runs}) | "
                f"{_ms(result.p50_ms)} | {_ms(result.p99_ms)} | "
                f"≥ {result.target_rps:,.0f} req/s, p99 < {P99_LIMIT_MS:g} ms | {verdict} | "
                f"{_share(result.server_cpu_share)} | {_count(result.per_cpu_second)} | "
                f"{_share(result.busiest_background)} |"
            )
    if report.in_process:
        lines += ["", "| in process | measured | target | result |", "|---|---:|---|---|"]
        for item in report.in_process:
            note = f" ({item.note})" if item.note else ""
            lines.append(
                f"| {item.name}{note} | {item.value:,.1f} {item.unit} | {item.target} | "
                f"{_verdict(item.passed)} |"
            )
    return "\n".join(lines) + "\n"


HEADER = """# Benchmark results

Written by `python -m benchmarks.run` (see `README.md` here); the blocks between the
generated markers are replaced on every run, everything else is written by people.
Runs vary by 10–30 % from one sitting to the next: compare figures from one sitting only.
"""


@dataclass(frozen=True)
class LoggingCost:
    """What the access log costs each endpoint: the two servers' tables side by side, and
    the ratio of the two loaded at once, which decides."""

    on: Report
    off: Report
    # With its access log on (the default), every hot path keeps at least this share of
    # what it serves with the log off (issue 11).
    KEEP: ClassVar[float] = 0.90

    def _sequential(self, name: str) -> tuple[HttpResult, HttpResult] | None:
        on = {result.name: result for result in self.on.http}.get(name)
        off = {result.name: result for result in self.off.http}.get(name)
        if on is None or off is None or not on.runs or not off.runs:
            return None
        return on, off

    @property
    def passed(self) -> bool:
        return bool(self.on.paired) and all(
            paired.ratio is not None and paired.ratio >= self.KEEP for paired in self.on.paired
        )

    def render(self) -> str:
        lines = [
            "### What the access log costs",
            "",
            "Two servers, one with the access log (JSON lines to a file, as in production) and "
            "one without, both pinned to the same CPU. Measured one after the other (the two "
            "tables above), and loaded at once, each by its own wrk: sharing the CPU evenly, "
            "the ratio of what they serve is the ratio of their costs, undisturbed by whatever "
            f"else the machine does. That ratio must be at least {self.KEEP:.0%}.",
            "",
            "| endpoint | req/s, log on | req/s, log off | on / off | per CPU-second, on / off "
            "| loaded at once: on / off (median; each run) | result |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for paired in self.on.paired:
            sequential = self._sequential(paired.name)
            if sequential is None:
                columns = "— | — | — | —"
            else:
                on, off = sequential
                on_cpu, off_cpu = on.per_cpu_second, off.per_cpu_second
                cpu_ratio = _share(on_cpu / off_cpu) if on_cpu and off_cpu else "n/a"
                columns = f"{on.rps:,.0f} | {off.rps:,.0f} | {on.rps / off.rps:.0%} | {cpu_ratio}"
            if paired.ratio is None:
                at_once, verdict = "—", f"**failed**: {_cell(paired.error)}"
            else:
                each = ", ".join(f"{ratio:.1%}" for ratio in paired.ratios)
                at_once = f"{paired.ratio:.1%} ({each})"
                verdict = "pass" if paired.ratio >= self.KEEP else "**miss**"
            lines.append(f"| {paired.name} | {columns} | {at_once} | {verdict} |")
        return "\n".join(lines) + "\n"


def write(path: Path, key: str, report: Report) -> None:
    """Replace (or append) the block owned by ``key`` in ``path``."""
    write_block(path, key, render(report))


def write_block(path: Path, key: str, text: str) -> None:
    """Replace (or append) the block owned by ``key`` in ``path`` with ``text``."""
    begin = f"<!-- generated:{key}:begin -->"
    end = f"<!-- generated:{key}:end -->"
    block = f"{begin}\n{text}{end}"
    text = path.read_text() if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)
