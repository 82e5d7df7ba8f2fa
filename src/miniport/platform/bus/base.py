"""The bus interface and the in-process implementation."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

TOPICS = frozenset({"ports", "tokens", "keys", "registry"})

Listener = Callable[[str], None]


class ChangeBus(Protocol):
    def publish(self, topic: str) -> None:
        """Announce a committed change to every worker, this one included."""

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(topic)`` for every change announced anywhere."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class InProcessBus:
    """Delivers to this process's listeners synchronously, before ``publish`` returns."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def publish(self, topic: str) -> None:
        if topic not in TOPICS:
            raise ValueError(f"unknown bus topic {topic!r}")
        self.deliver(topic)

    def deliver(self, topic: str) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(topic)
            except Exception:
                # One failing listener must not stop the others from reloading.
                log.exception("change-bus listener failed for topic %s", topic)

    def subscribe(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None
