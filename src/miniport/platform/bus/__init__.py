"""The change bus: tells every worker process that something it caches has changed.

Messages are just topic names (``ports``, ``tokens``, ``keys``, ``registry``); a receiver
reloads from the database, which stays the single source of truth. In-process by default;
PostgreSQL LISTEN/NOTIFY or Redis pub/sub when several processes serve.
"""

from miniport.platform.bus.base import TOPICS, ChangeBus, InProcessBus

__all__ = ["TOPICS", "ChangeBus", "InProcessBus"]
