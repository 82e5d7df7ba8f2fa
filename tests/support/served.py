"""``miniport serve …`` in a process of its own, started as a person starts it.

No setting is added beyond the ones a test passes (logging, forwarding and limits stay at
their defaults), and the process's standard output and error go to files, as under a
service manager: so the access log is JSON, the production default.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

MINIPORT = Path(sys.executable).with_name("miniport")
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class Served:
    url: str
    port: int
    stdout: Path
    stderr: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """Stop it as Ctrl-C does (so it writes out what it buffered), and wait for it."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        """Everything the server wrote so far, standard output and error."""
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")


def clean_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The test process's environment without any MINIPORT_ variable, plus ``env``."""
    inherited = {
        name: value for name, value in os.environ.items() if not name.startswith("MINIPORT_")
    }
    return {**inherited, **env}


@contextmanager
def served(
    service: str,
    *,
    port: int,
    env: Mapping[str, str],
    logs: Path,
    options: tuple[str, ...] = (),
    ready_path: str = "/",
) -> Iterator[Served]:
    """``miniport serve <service> --port <port> <options>`` until the block ends.

    Stopped with SIGINT (``Served.stop``), as Ctrl-C stops it, so it writes out its logs
    (a test may stop it earlier, to read them whole); output goes to
    ``<logs>/<service>-<port>.out`` and ``.err``.
    """
    logs.mkdir(parents=True, exist_ok=True)
    stdout = logs / f"{service}-{port}.out"
    stderr = logs / f"{service}-{port}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603  (our own command)
            [str(MINIPORT), "serve", service, "--port", str(port), *options],
            env=clean_environment(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    started = Served(f"http://127.0.0.1:{port}", port, stdout, stderr, process)
    try:
        _wait_until_up(process, started, ready_path)
        yield started
    finally:
        started.stop()


def _wait_until_up(process: subprocess.Popen[bytes], server: Served, path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"miniport serve exited ({process.returncode}):\n{server.output()}")
        try:
            httpx.get(server.url + path, timeout=2.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"miniport serve did not answer:\n{server.output()}") from None
            time.sleep(0.1)


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def raw_request(port: int, request: bytes, *, timeout: float = 30.0) -> RawResponse:
    """Send ``request`` as it is and read the answer until the server closes or it is whole.

    For what httpx would refuse to send (a megabyte header, ten thousand headers) or would
    send differently (a body in chunks of our choosing).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before taking it all: the answer is still there
        data = b""
        while b"\r\n\r\n" not in data or len(data) < _expected_length(data):
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 "):
        raise AssertionError(f"no HTTP answer: {data[:300]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(int(lines[0].split()[1]), headers, body)


def _expected_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(head) + 4 + int(value.strip())
    return 0
