"""``python -m benchmarks.run`` (``make bench``): the platform's hot paths under wrk.

Creates a throw-away data directory, migrates and seeds it, starts the platform as
``miniport serve platform`` does with one worker pinned to CPU 0 — twice by default: with
its access log on (the default) and off — loads each endpoint with ``wrk -t1 -c32`` pinned
to CPU 1 (a warm-up, then ``--runs`` measured runs, on each server in turn), measures
``decide`` and a 100,000-port worker in process, and writes the medians with their targets,
and the access log's cost, into ``benchmarks/RESULTS.md``. Everything it starts is stopped
again, on errors and Ctrl-C too, and nothing but 127.0.0.1 is ever loaded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

from benchmarks import decide, ports_scale, report
from benchmarks.endpoints import ENDPOINTS, Context, Endpoint, Prepared
from benchmarks.machine import wait_for_quiet
from benchmarks.seed import seed
from benchmarks.servers import RunningServer, ServerChoice, running_server
from benchmarks.wrk import LOOPBACK, Load, WrkError, WrkRun, run_wrk, wrk_binary
from miniport.common.migrate import upgrade
from miniport.platform.settings import PlatformSettings

RESULTS = Path(__file__).parent / "RESULTS.md"
SERVER_CPU = 0
LOAD_CPU = 1
DECIDE = "decide"
PORTS_100K = "ports-100k"
DECISIONS_PER_SECOND = 1_000_000
RSS_LIMIT_MB = 200.0
REBUILD_LIMIT_MS = 200.0


@dataclass(frozen=True)
class Variant:
    """One way of running the server: its name, what its block is keyed by, its settings."""

    name: str
    key_suffix: str
    label: str
    env: dict[str, str] = field(default_factory=dict)


LOGGING_ON = Variant("on", "", "access log on (the default of `miniport serve platform`)")
LOGGING_OFF = Variant(
    "off",
    "-access-log-off",
    "access log off (`MINIPORT_PLATFORM_ACCESS_LOG=false`)",
    {"MINIPORT_PLATFORM_ACCESS_LOG": "false"},
)
LOGGING = {"both": (LOGGING_ON, LOGGING_OFF), "on": (LOGGING_ON,), "off": (LOGGING_OFF,)}


@dataclass(frozen=True)
class Quiet:
    """Before each run, wait up to ``wait_s`` for the machine to be at most this busy."""

    threshold: float = 0.10
    wait_s: float = 120.0


@dataclass(frozen=True)
class Plan:
    """What this invocation measures, and how."""

    endpoints: tuple[Endpoint, ...]
    in_process: tuple[str, ...]
    choice: ServerChoice
    load: Load
    runs: int
    warmup_s: float
    quiet: Quiet
    pin: bool
    variants: tuple[Variant, ...] = (LOGGING_ON,)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _server_env(data_dir: Path, base_url: str) -> dict[str, str]:
    return {
        "MINIPORT_PLATFORM_DATA_DIR": str(data_dir),
        "MINIPORT_PLATFORM_BASE_URL": base_url,
        # Otherwise the defaults of `miniport serve platform` on SQLite: in-process bus,
        # webhook delivery and trial-expiry threads running.
        "MINIPORT_PLATFORM_ENVIRONMENT": "production",
    }


def _probe(base_url: str, prepared: Prepared) -> None:
    """One request shaped like the load, which must succeed: a benchmark of 401s is no use."""
    try:
        response = httpx.request(
            prepared.method,
            base_url + prepared.path,
            content=prepared.body or None,
            headers=prepared.headers,
            timeout=10,
        )
    except httpx.HTTPError as error:
        raise WrkError(f"{prepared.method} {prepared.path} got no answer: {error!r}") from error
    compact = response.text.replace(" ", "")
    refused = '"errcode":' in compact and '"errcode":0' not in compact
    if response.status_code >= 300 or refused:
        raise WrkError(
            f"{prepared.method} {prepared.path} answered {response.status_code}: "
            f"{response.text[:300]}"
        )


def _issue_access_token(context: Context) -> str:
    seeded = context.seeded
    response = httpx.post(
        context.base_url + "/token",
        data={"grant_type": "client_credentials"},
        auth=(seeded.client_id, seeded.client_secret),
        timeout=10,
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def measure(endpoint: Endpoint, context: Context, plan: Plan) -> report.HttpResult:
    load = plan.load
    results = []
    background: list[float | None] = []
    server_cpu: list[float] = []
    if plan.warmup_s > 0:
        prepared = endpoint.prepare(context, plan.warmup_s)
        _probe(context.base_url, prepared)
        warmup = Load(load.connections, load.threads, plan.warmup_s, load.cpu)
        run_wrk(
            context.base_url + prepared.path, script=prepared.script, env=prepared.env, load=warmup
        )
    for number in range(1, plan.runs + 1):
        prepared = endpoint.prepare(context, load.duration_s)
        _probe(context.base_url, prepared)
        background.append(wait_for_quiet(threshold=plan.quiet.threshold, timeout=plan.quiet.wait_s))
        context.server.truncate_access_log()
        cpu_before = context.server.cpu_seconds()
        run = run_wrk(
            context.base_url + prepared.path, script=prepared.script, env=prepared.env, load=load
        )
        server_cpu.append(context.server.cpu_seconds() - cpu_before)
        notes = [f"server used {server_cpu[-1] / run.duration_s:.0%} of its CPU"]
        errors = run.status_errors + run.socket_errors + run.app_errors
        if errors:
            notes.append(f"{errors} errors")
        if run.inputs_exhausted:
            notes.append(f"all {prepared.inputs:,} inputs were used before the time was up")
        if background[-1] is not None:
            notes.append(f"others used {background[-1]:.0%} of the CPUs just before")
        print(
            f"  {endpoint.name} ({context.label}) run {number}/{plan.runs}: {run.rps:,.0f} req/s, "
            f"p50 {run.p50_ms:.2f} ms, p99 {run.p99_ms:.2f} ms ({'; '.join(notes)})",
            flush=True,
        )
        results.append(run)
    return report.HttpResult(
        endpoint.name,
        endpoint.request,
        endpoint.target_rps,
        tuple(results),
        background=tuple(background),
        server_cpu_s=tuple(server_cpu),
    )


def _load_at_once(jobs: list[tuple[RunningServer, Prepared]], load: Load) -> dict[str, WrkRun]:
    """Run one wrk per server, all at the same time; their results by server URL."""
    runs: dict[str, WrkRun] = {}

    def run(server: RunningServer, job: Prepared) -> None:
        server.truncate_access_log()
        runs[server.url] = run_wrk(server.url + job.path, script=job.script, env=job.env, load=load)

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return runs


def measure_paired(endpoint: Endpoint, contexts: dict[str, Context], plan: Plan) -> report.Paired:
    """Both servers loaded at once, each by a wrk of its own. Pinned to one CPU, they share it
    evenly, so the ratio of what they served is the ratio of their costs per request, whatever
    else the machine does meanwhile (measured one after the other, runs differ by 10–30 %
    on a busy machine; side by side, two identical servers came out within 2 % of each other
    for discovery, 5 % for token, which writes). Each server has a database of its own, so
    neither waits for the other's writes."""
    on, off = contexts[LOGGING_ON.name], contexts[LOGGING_OFF.name]
    ratios: list[float] = []
    for number in range(1, plan.runs + 1):
        jobs = []
        for context in (on, off):
            prepared = endpoint.prepare(context, plan.load.duration_s)
            _probe(context.base_url, prepared)
            jobs.append((context.server, prepared))
        wait_for_quiet(threshold=plan.quiet.threshold, timeout=plan.quiet.wait_s)
        runs = _load_at_once(jobs, plan.load)
        if set(runs) != {on.base_url, off.base_url}:
            raise WrkError(f"{endpoint.name}: a side-by-side run did not finish")
        if not (runs[on.base_url].clean and runs[off.base_url].clean):
            raise WrkError(f"{endpoint.name}: a side-by-side run had failed answers")
        ratios.append(runs[on.base_url].requests / max(1, runs[off.base_url].requests))
        print(
            f"  {endpoint.name} side by side run {number}/{plan.runs}: "
            f"log on {runs[on.base_url].rps:,.0f} req/s, off {runs[off.base_url].rps:,.0f} "
            f"req/s, on / off {ratios[-1]:.1%}",
            flush=True,
        )
    return report.Paired(endpoint.name, tuple(ratios))


def _measure_http(plan: Plan, data_dir: Path, results: dict[str, report.Report]) -> None:
    """Every endpoint on every variant's server. The servers run at the same time, each on a
    copy of the same seeded database; each endpoint is measured on one right after the
    other, so they are compared in the same minutes, and then (both variants) side by side."""
    first = plan.variants[0]
    seeded_dir = data_dir / first.name
    print(f"seeding {seeded_dir} …", flush=True)
    seeded = seed(PlatformSettings(data_dir=seeded_dir, environment="production"))
    for variant in plan.variants[1:]:
        shutil.copytree(seeded_dir, data_dir / variant.name)
    with ExitStack() as stack:
        contexts: dict[str, Context] = {}
        for variant in plan.variants:
            port = _free_port()
            base_url = f"http://{LOOPBACK}:{port}"
            variant_dir = data_dir / variant.name
            print(f"starting {plan.choice.label}, {variant.label}, on {base_url} …", flush=True)
            server = stack.enter_context(
                running_server(
                    plan.choice,
                    port=port,
                    env={**_server_env(variant_dir, base_url), **variant.env},
                    cpu=SERVER_CPU if plan.pin else None,
                    log=variant_dir / "server.log",
                )
            )
            context = Context(
                base_url=server.url,
                server=server,
                seeded=seeded,
                data_dir=variant_dir,
                settings=PlatformSettings(
                    data_dir=variant_dir, base_url=base_url, environment="production"
                ),
                duration_s=plan.load.duration_s,
                label=f"access log {variant.name}",
            )
            stack.callback(context.close)
            context.access_token = _issue_access_token(context)
            contexts[variant.name] = context
        for number, endpoint in enumerate(plan.endpoints):
            # Every other endpoint the other way round, so neither server is always second.
            order = plan.variants if number % 2 == 0 else plan.variants[::-1]
            for variant in order:
                try:
                    measured = measure(endpoint, contexts[variant.name], plan)
                except WrkError as error:
                    # Recorded as a failure of this endpoint; the others are still measured.
                    print(f"  {endpoint.name} failed: {error}", flush=True)
                    measured = report.HttpResult(
                        endpoint.name, endpoint.request, endpoint.target_rps, (), error=str(error)
                    )
                results[variant.name].http.append(measured)
            if len(plan.variants) == len(LOGGING["both"]):
                try:
                    paired = measure_paired(endpoint, contexts, plan)
                except WrkError as error:
                    print(f"  {endpoint.name} side by side failed: {error}", flush=True)
                    paired = report.Paired(endpoint.name, (), error=str(error))
                results[LOGGING_ON.name].paired.append(paired)


def _measure_decide(result: report.Report) -> None:
    print("measuring decide in process …", flush=True)
    for case in decide.measure():
        print(f"  {case.case}: {case.per_second:,.0f} decisions/s", flush=True)
        result.in_process.append(
            report.InProcessResult(
                name=f"`decide`: {case.case}",
                value=case.per_second,
                unit="decisions/s",
                target=f"≥ {DECISIONS_PER_SECOND:,}/s",
                passed=case.per_second >= DECISIONS_PER_SECOND,
            )
        )


def _measure_ports_scale(plan: Plan, data_dir: Path, result: report.Report) -> None:
    port = _free_port()
    base_url = f"http://{LOOPBACK}:{port}"
    settings = PlatformSettings(data_dir=data_dir, base_url=base_url, environment="production")
    upgrade("platform", settings.database_url)
    print(f"writing {ports_scale.HOSTS * ports_scale.MINI_PROGRAMS:,} ports …", flush=True)
    ports = ports_scale.seed_ports(settings.database_url)
    with running_server(
        plan.choice,
        port=port,
        env=_server_env(data_dir, base_url),
        cpu=SERVER_CPU if plan.pin else None,
        log=data_dir / "server.log",
    ) as server:
        for _ in range(100):  # a little traffic, so the worker is measured as it serves
            httpx.get(server.url + "/jwks.json", timeout=10).raise_for_status()
        rss = server.rss_mb()
    print(f"  worker with {ports:,} ports: {rss:.1f} MB resident", flush=True)
    times = ports_scale.measure_snapshot(settings.database_url)
    full_ms, one_port_ms, host_ms = (
        statistics.median(values) for values in (times.full_ms, times.one_port_ms, times.host_ms)
    )
    print(
        f"  snapshot of {times.ports:,} ports: full build {full_ms:.1f} ms; after one port "
        f"changed {one_port_ms:.1f} ms; after a host was suspended {host_ms:.1f} ms",
        flush=True,
    )
    repeats = f"median of {ports_scale.REBUILDS} in a fresh process"
    host_ports = times.ports // ports_scale.HOSTS
    result.in_process += [
        report.InProcessResult(
            name=f"resident memory of a worker holding {ports:,} ports ({plan.choice.name})",
            value=rss,
            unit="MB",
            target=f"< {RSS_LIMIT_MB:g} MB",
            passed=rss < RSS_LIMIT_MB,
            note="VmRSS from /proc after start-up and 100 requests",
        ),
        *(
            report.InProcessResult(
                name=f"port snapshot after {change}",
                value=value,
                unit="ms",
                target=f"< {REBUILD_LIMIT_MS:g} ms",
                passed=value < REBUILD_LIMIT_MS,
                note=f"`catch_up` from the change journal; {repeats}",
            )
            for change, value in (
                (f"one port changed, {times.ports:,} ports", one_port_ms),
                (f"a host app ({host_ports:,} ports) was suspended", host_ms),
            )
        ),
        report.InProcessResult(
            name=f"port snapshot full build, {times.ports:,} ports",
            value=full_ms,
            unit="ms",
            target="none: start-up, or a worker behind the pruned journal",
            passed=None,
            note=f"`reload`; {repeats}",
        ),
    ]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=(__doc__ or "").split("\n\n")[0]
    )
    names = [endpoint.name for endpoint in ENDPOINTS] + [DECIDE, PORTS_100K]
    parser.add_argument(
        "--only",
        action="append",
        choices=names,
        metavar="NAME",
        help=f"measure only this (repeatable): {', '.join(names)}",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run (10)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per endpoint (3)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    parser.add_argument(
        "--loop", default="auto", help="event loop: uvicorn auto|asyncio|uvloop, granian too"
    )
    parser.add_argument("--http", default="auto", help="uvicorn HTTP parser: auto|h11|httptools")
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help="where to write the results block (default benchmarks/RESULTS.md)",
    )
    parser.add_argument(
        "--quiet-threshold",
        type=float,
        default=0.10,
        help="before each run, wait until other processes use at most this share of all "
        "CPUs (0.10)",
    )
    parser.add_argument(
        "--quiet-wait", type=float, default=120.0, help="longest wait for that, seconds (120)"
    )
    parser.add_argument(
        "--logging",
        choices=sorted(LOGGING),
        default="both",
        help="measure the server with its access log on (the default of `miniport serve "
        "platform`), off, or both side by side and compare (both)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    return parser.parse_args(argv)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    # SIGTERM takes the same way out as Ctrl-C, so the finally blocks stop the server.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    wrk_binary()
    signal.signal(signal.SIGTERM, _terminate)
    chosen = set(args.only or ())
    pin = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    plan = Plan(
        endpoints=tuple(e for e in ENDPOINTS if not chosen or e.name in chosen),
        in_process=tuple(name for name in (DECIDE, PORTS_100K) if not chosen or name in chosen),
        choice=ServerChoice(args.server, args.loop, args.http),
        load=Load(args.connections, 1, args.duration, LOAD_CPU if pin else None),
        runs=args.runs,
        warmup_s=args.warmup,
        quiet=Quiet(args.quiet_threshold, args.quiet_wait),
        pin=pin,
        variants=LOGGING[args.logging],
    )
    results = {
        variant.name: report.Report(
            server_label=f"{plan.choice.label}, {variant.label}",
            server_version=plan.choice.version(),
            runs=args.runs,
            duration_s=args.duration,
            connections=args.connections,
            pinned=pin,
            only=tuple(args.only or ()),
        )
        for variant in plan.variants
    }
    # The in-process measurements do not depend on the server's logging: they go with the
    # first variant's block (the default's, unless only "off" was asked for).
    main_result = results[plan.variants[0].name]
    data_dir = Path(tempfile.mkdtemp(prefix="miniport-bench-"))
    (data_dir / "http").mkdir()
    (data_dir / "ports-100k").mkdir()
    try:
        if plan.endpoints:
            _measure_http(plan, data_dir / "http", results)
        if DECIDE in plan.in_process:
            _measure_decide(main_result)
        if PORTS_100K in plan.in_process:
            _measure_ports_scale(plan, data_dir / "ports-100k", main_result)
        passed = True
        for variant in plan.variants:
            result = results[variant.name]
            report.write(args.output, plan.choice.key + variant.key_suffix, result)
            print(report.render(result))
            passed = passed and result.passed
        if LOGGING_ON.name in results and LOGGING_OFF.name in results and plan.endpoints:
            cost = report.LoggingCost(results[LOGGING_ON.name], results[LOGGING_OFF.name])
            report.write_block(args.output, plan.choice.key + "-access-log-cost", cost.render())
            print(cost.render())
            passed = passed and cost.passed
        print(f"written to {args.output}")
        return 0 if passed else 1
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped", file=sys.stderr)
        return 130
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
