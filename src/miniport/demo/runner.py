"""``miniport demo``: check the ports, reset the data, seed the world, start five servers.

``running_demo`` is the whole start-up as a context manager (tests use it to get the real
thing on free ports); ``run`` adds the terminal around it: the summary, waiting for Ctrl-C,
and a clean stop of every server.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from types import FrameType

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from miniport.demo import datadir
from miniport.demo.layout import SERVICE_KEYS, DemoLayout
from miniport.demo.processes import Child, Supervisor, ensure_ports_free
from miniport.demo.summary import print_summary
from miniport.demo.world import SeededWorld, seed_world

WATCH_SECONDS = 0.2


def _never() -> bool:
    return False


@dataclass
class RunningDemo:
    world: SeededWorld
    supervisor: Supervisor
    children: list[Child]

    def url(self, key: str) -> str:
        return self.world.layout.url(key)

    def watch(self, until: Callable[[], bool]) -> None:
        """Wait until ``until()``; raise ``DemoError`` as soon as any server exits."""
        while not until():
            for child in self.supervisor.exited():
                raise child.failure(f"stopped unexpectedly (status {child.process.returncode})")
            time.sleep(WATCH_SECONDS)


@contextmanager
def _progress(
    console: Console, interrupted: Callable[[], bool]
) -> Iterator[Callable[[str], AbstractContextManager[object]]]:
    columns = (
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:

        @contextmanager
        def step(description: str) -> Iterator[object]:
            # Ctrl-C is only noted by the signal handler; steps are where it is acted upon,
            # so a database is never left half-seeded by an exception from nowhere.
            if interrupted():
                raise KeyboardInterrupt
            task = progress.add_task(escape(description), total=1)
            yield task
            progress.update(task, completed=1)

        yield step


@contextmanager
def running_demo(
    layout: DemoLayout,
    *,
    console: Console,
    interrupted: Callable[[], bool] = _never,
    hurry: Callable[[], bool] = _never,
) -> Iterator[RunningDemo]:
    """Seed a fresh world under ``layout.data_dir`` and serve it; stop every server after.

    Raises ``DemoError`` (a busy port, a foreign data directory, a server that does not
    start) and ``KeyboardInterrupt`` when ``interrupted()`` turns true during start-up.
    """
    # Before deleting anything: a running demo still uses the data directory.
    ensure_ports_free((key, layout.port(key)) for key in SERVICE_KEYS)
    supervisor = Supervisor(layout.log_dir)
    try:
        with _progress(console, interrupted) as step:
            with step(f"Resetting {layout.data_dir}"):
                datadir.reset(layout.data_dir)
            world = seed_world(layout, step)
            # All at once (they do not need each other to start), then wait for each.
            children = [supervisor.start(service) for service in world.services]
            for child in children:
                with step(f"Starting {child.service.label} on {child.service.url}"):
                    supervisor.wait_ready(child, interrupted=interrupted)
        yield RunningDemo(world, supervisor, children)
    finally:
        # Whatever ended the block (Ctrl-C, an error, a test finishing), no server outlives it.
        supervisor.stop(hurry=hurry)


class StopSignals:
    """Ctrl-C, SIGTERM and SIGHUP as a stop request the demo acts on between steps."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.count = 0

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1

    def requested(self) -> bool:
        return self.count > 0

    def hurried(self) -> bool:
        """A second signal: stop waiting for servers to finish gracefully."""
        return self.count > 1

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        previous = {signum: signal.signal(signum, self._note) for signum in self.SIGNALS}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def run(layout: DemoLayout, console: Console) -> None:
    """Start the demo, print where to go, serve until Ctrl-C (or SIGTERM), then stop it all."""
    with StopSignals().installed() as signals:
        try:
            with running_demo(
                layout, console=console, interrupted=signals.requested, hurry=signals.hurried
            ) as demo:
                print_summary(console, demo.world)
                demo.watch(until=signals.requested)
                console.print("Stopping…")
        except KeyboardInterrupt:
            console.print("Interrupted while starting; stopping what had started…")
    console.print("Demo stopped.")
