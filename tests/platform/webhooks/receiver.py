"""A partner's webhook receiver, as a partner would write one: verify, then record.

Each endpoint ``/hooks/<name>`` has its own ``whsec_`` secret and verifies every request with
the ``standardwebhooks`` package; a request that fails verification is answered 401 and kept
apart. Tests script the status an endpoint answers, or make it hold a request open (to kill
the sender mid-send).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.servers import free_port, serve_in_thread


@dataclass(frozen=True)
class Received:
    endpoint: str
    webhook_id: str
    timestamp: int
    payload: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.payload["type"])

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.payload["data"]
        return data


@dataclass
class Receiver:
    base_url: str = ""
    secrets: dict[str, str] = field(default_factory=dict)
    # Statuses an endpoint answers, one per verified request, before it settles on 200.
    script: dict[str, list[int]] = field(default_factory=dict)
    # Endpoints that hold their next verified request open until ``release`` (or 60 s).
    hold_next: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _released: threading.Event = field(default_factory=threading.Event)

    def url(self, endpoint: str) -> str:
        return f"{self.base_url}/hooks/{endpoint}"

    def events(self, endpoint: str, event_type: str | None = None) -> list[Received]:
        with self._lock:
            return [
                item
                for item in self.received
                if item.endpoint == endpoint and (event_type is None or item.type == event_type)
            ]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()
            self.rejected.clear()

    def release(self) -> None:
        self._released.set()

    def wait_for(self, condition: Callable[[], bool], *, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"receiver condition not met in {timeout} s; got {self.received!r}"
                )
            time.sleep(0.05)

    async def handle(self, request: Request) -> Response:
        endpoint = request.path_params["endpoint"]
        body = await request.body()
        secret = self.secrets.get(endpoint)
        try:
            if secret is None:
                raise WebhookVerificationError("no secret configured for this endpoint")
            payload = Webhook(secret).verify(body, dict(request.headers))
        except WebhookVerificationError as error:
            with self._lock:
                self.rejected.append((endpoint, str(error)))
            return Response("bad signature", status_code=401)
        with self._lock:
            self.received.append(
                Received(
                    endpoint=endpoint,
                    webhook_id=request.headers["webhook-id"],
                    timestamp=int(request.headers["webhook-timestamp"]),
                    payload=payload,
                )
            )
            scripted = self.script.get(endpoint)
            status = scripted.pop(0) if scripted else 200
            hold = endpoint in self.hold_next
            self.hold_next.discard(endpoint)
        if hold:
            deadline = time.monotonic() + 60
            while not self._released.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        return Response(status_code=status)

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/hooks/{endpoint}", self.handle, methods=["POST"])],
        )


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    port = free_port()
    with serve_in_thread(receiver.app(), port) as url:
        receiver.base_url = url
        try:
            yield receiver
        finally:
            receiver.release()
