"""The platform as an ASGI app factory for servers that start it by name.

``miniport serve platform`` (and ``uvicorn --factory``) import
``miniport.platform.web.asgi:create_app_from_env`` in every worker process, so each worker
builds its own settings, engine and keys from the environment instead of inheriting them.
The app is served behind the edge (``common.edge``): request limits, request ids and the
access log.
"""

from __future__ import annotations

import gc
import sys

from pydantic import ValidationError

from miniport.common.edge.middleware import Edge
from miniport.common.edge.serving import wrap
from miniport.common.migrate import SchemaOutOfDate
from miniport.common.settings import SettingsError, invalid_settings
from miniport.platform.settings import PlatformSettings
from miniport.platform.web.app import create_app


def create_app_from_env() -> Edge:
    """The platform app configured from ``MINIPORT_PLATFORM_*`` environment variables."""
    try:
        settings = PlatformSettings()
        app = wrap(create_app(settings), settings, service=settings.service_name)
    except (SchemaOutOfDate, SettingsError) as error:
        # A server that cannot start should say why in one line, not in a traceback the
        # ASGI server prints for every worker.
        print(f"miniport platform: {error}", file=sys.stderr)
        raise SystemExit(1) from error
    except ValidationError as error:
        problem = invalid_settings(error, prefix="MINIPORT_PLATFORM_")
        print(f"miniport platform: {problem}", file=sys.stderr)
        raise SystemExit(1) from error
    # Everything built so far (modules, the app, SQLAlchemy's mappers and caches) lives as
    # long as the worker. Frozen, the garbage collector stops re-scanning it in every full
    # collection: unfrozen, those took up to 80 ms here under token load, every few seconds,
    # and set the token endpoint's p99 (benchmarks/RESULTS.md). Only in server workers: a
    # test process builds many apps and must be able to collect them.
    gc.collect()
    gc.freeze()
    return app
