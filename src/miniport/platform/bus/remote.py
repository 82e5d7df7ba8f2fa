"""What the PostgreSQL and Redis buses share: local delivery, coalescing, reconnecting.

A remote bus has two sides:

- ``publish(topic)`` sends ``"<origin>/<topic>"`` to the other workers, then delivers to
  this process's listeners synchronously (so a request that closed a port returns only
  after its own worker's snapshot is rebuilt). The origin is a random id per bus, so the
  listener skips the echo of its own messages instead of reloading twice.
- a background *listener* thread holds one connection subscribed to the channel and hands
  every topic it hears to a *dispatcher* thread. The dispatcher keeps a set of pending
  topics, so a burst of changes (a host suspended, a thousand trials expiring) costs a
  handful of reloads rather than one per message, and a slow reload never makes the
  listener fall behind its socket.

Messages sent while a listener is disconnected are lost by both PostgreSQL and Redis, so
every successful (re)subscription delivers every topic once: reloading is idempotent and
the database is the source of truth, so a spurious reload is harmless and a missed one is
impossible.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable

from miniport.platform.bus.base import TOPICS, InProcessBus, Listener

log = logging.getLogger(__name__)

INITIAL_BACKOFF = 0.1
MAX_BACKOFF = 5.0
# How long a blocking wait for messages may last before the loop checks for ``stop``.
POLL_INTERVAL = 0.25
# Round trips on an idle connection, so a peer that vanished without a FIN is noticed.
HEALTH_CHECK_INTERVAL = 10.0


class Dispatcher:
    """Delivers topics to local listeners from its own thread, coalescing repeats."""

    def __init__(self, local: InProcessBus, *, name: str) -> None:
        self._local = local
        self._pending: set[str] = set()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, topics: Iterable[str]) -> None:
        with self._wake:
            self._pending.update(topics)
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                topics = sorted(self._pending)
                self._pending.clear()
            # Outside the lock: topics arriving during a reload queue up for the next round.
            for topic in topics:
                self._local.deliver(topic)


class RemoteBus(ABC):
    """A change bus over a server; subclasses supply sending and one listening session."""

    kind = "remote"

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.origin = secrets.token_hex(8)
        self._local = InProcessBus()
        self._dispatcher = Dispatcher(self._local, name=f"miniport-{self.kind}-bus-dispatch")
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._listener: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self.reconnects = 0

    # --- ChangeBus -------------------------------------------------------------------------

    def publish(self, topic: str) -> None:
        if topic not in TOPICS:
            raise ValueError(f"unknown bus topic {topic!r}")
        # Announce first, then reload here: the other workers rebuild while this one does,
        # instead of after it. Either way this call returns only once this worker reloaded.
        try:
            with self._send_lock:
                self._send(f"{self.origin}/{topic}")
        except Exception:
            # The change is committed; failing the request now would report a failure for
            # work that succeeded. Other workers catch up when their own listener
            # reconnects (they reload everything then).
            log.exception("could not announce %s on the %s bus", topic, self.kind)
        self._local.deliver(topic)

    def subscribe(self, listener: Listener) -> None:
        self._local.subscribe(listener)

    def start(self) -> None:
        if self._listener is not None:
            return
        self._dispatcher.start()
        self._listener = threading.Thread(
            target=self._listen_forever, name=f"miniport-{self.kind}-bus-listen", daemon=True
        )
        self._listener.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None and self._listener.is_alive():
            self._listener.join(timeout=10)
        self._dispatcher.stop()
        with self._send_lock:
            self._close_sender()

    # --- for tests and health checks -------------------------------------------------------

    def wait_connected(self, timeout: float) -> bool:
        """Whether the listener is subscribed (waiting up to ``timeout`` seconds for it)."""
        return self._connected.wait(timeout)

    # --- the listener loop -----------------------------------------------------------------

    def _listen_forever(self) -> None:
        backoff = INITIAL_BACKOFF
        while not self._stopping.is_set():
            try:
                self._listen_once()
                backoff = INITIAL_BACKOFF
            except Exception as error:
                if self._stopping.is_set():
                    break
                log.warning(
                    "%s bus listener lost its connection (%s); retrying in %.1f s",
                    self.kind,
                    error,
                    backoff,
                )
            finally:
                self._connected.clear()
            if self._stopping.wait(backoff * random.uniform(0.5, 1.0)):  # noqa: S311  (jitter)
                break
            backoff = min(backoff * 2, MAX_BACKOFF)
            self.reconnects += 1

    def _subscribed(self) -> None:
        """Called by ``_listen_once`` each time its subscription is (re)established."""
        self._connected.set()
        self._dispatcher.submit(TOPICS)

    def _heard(self, payload: str) -> None:
        origin, _, topic = payload.partition("/")
        if origin == self.origin:
            return  # our own message: delivered synchronously when we published it
        if topic not in TOPICS:
            log.warning("ignoring unknown topic %r on the %s bus", topic, self.kind)
            return
        self._dispatcher.submit((topic,))

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @abstractmethod
    def _listen_once(self) -> None:
        """Connect, subscribe (then call ``_subscribed``), feed ``_heard`` until stopping.

        Returns when ``stopping``; raises when the connection fails.
        """

    @abstractmethod
    def _send(self, payload: str) -> None:
        """Send one message to every listener on the channel (``_send_lock`` is held)."""

    @abstractmethod
    def _close_sender(self) -> None:
        """Close the sending connection, if one is open (``_send_lock`` is held)."""
