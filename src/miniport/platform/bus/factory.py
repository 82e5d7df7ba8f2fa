"""Choosing the change bus from settings.

=====================  ==========================================================
``bus_url``            bus
=====================  ==========================================================
``""`` (the default)   PostgreSQL ``LISTEN/NOTIFY`` when ``database_url`` is
                       PostgreSQL; a file beside the database when it is a SQLite
                       file (so the CLI and several workers reach each other);
                       otherwise in-process
``"inprocess"``        in-process (one worker process, or tests)
``redis://…``          Redis pub/sub on that server (``rediss://``, ``unix://`` too)
``postgresql://…``     ``LISTEN/NOTIFY`` on that server, even if the data lives elsewhere
=====================  ==========================================================

Every bus but the in-process one uses the ``bus_channel`` setting as its channel.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from miniport.platform.bus.base import ChangeBus, InProcessBus
from miniport.platform.settings import PlatformSettings

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _sqlite_file(settings: PlatformSettings) -> Path | None:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def bus_kind(settings: PlatformSettings) -> str:
    """``"inprocess"``, ``"file"``, ``"postgres"`` or ``"redis"``: what ``make_bus`` builds."""
    url = settings.bus_url
    if url == "inprocess":
        return "inprocess"
    if url.startswith(REDIS_SCHEMES):
        return "redis"
    if url:
        return "postgres"
    if make_url(settings.database_url).get_backend_name() == "postgresql":
        return "postgres"
    return "file" if _sqlite_file(settings) is not None else "inprocess"


def make_bus(settings: PlatformSettings) -> ChangeBus:
    """The bus ``settings`` ask for, not started yet (``runtime`` starts it)."""
    kind = bus_kind(settings)
    # The remote buses import their drivers only when chosen.
    if kind == "redis":
        from miniport.platform.bus.redis import RedisBus

        return RedisBus(settings.bus_url, channel=settings.bus_channel)
    if kind == "postgres":
        from miniport.platform.bus.postgres import PostgresBus

        return PostgresBus(settings.bus_url or settings.database_url, channel=settings.bus_channel)
    if kind == "file":
        from miniport.platform.bus.file import FileBus

        database = _sqlite_file(settings)
        assert database is not None
        return FileBus(database.with_name(database.name + "-bus"))
    return InProcessBus()
