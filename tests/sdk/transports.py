"""Transports for the SDK's tests: real httpx transports, wrapped to count and to misbehave.

They wrap ``httpx.HTTPTransport`` (or the async one) talking to a real server: nothing of the
platform is mocked. ``Recording`` counts what went over the wire; ``Flaky`` makes the first
attempts of chosen requests fail as a network or a proxy would, then lets the rest through.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

# What a misbehaving network does to one request instead of sending it.
Fault = Callable[[httpx.Request], httpx.Response]


def refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def gateway_error(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, text="<html>503 Service Unavailable</html>", request=request)


def system_busy(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200, json={"errcode": -1, "errmsg": "system busy, please retry"}, request=request
    )


@dataclass
class Recording(httpx.BaseTransport):
    """Forwards to a real ``HTTPTransport`` and remembers each request and answer status."""

    inner: httpx.BaseTransport = field(default_factory=httpx.HTTPTransport)
    requests: list[httpx.Request] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    # Faults for the next requests to a path: applied in order, one per request.
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            pending = self.faults.get(request.url.path)
            fault = pending.pop(0) if pending else None
        response = fault(request) if fault else self.inner.handle_request(request)
        with self._lock:
            self.statuses.append(response.status_code)
        return response

    def close(self) -> None:
        self.inner.close()

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for request in self.requests if request.url.path == path)


@dataclass
class AsyncRecording(httpx.AsyncBaseTransport):
    inner: httpx.AsyncBaseTransport = field(default_factory=httpx.AsyncHTTPTransport)
    requests: list[httpx.Request] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class FakeClock:
    """An aware UTC clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta
