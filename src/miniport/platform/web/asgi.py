"""The platform as an ASGI app factory for servers that start it by name.

``miniport serve platform`` (and ``uvicorn --factory``) import
``miniport.platform.web.asgi:create_app_from_env`` in every worker process, so each worker
builds its own settings, engine and keys from the environment instead of inheriting them.
"""

from __future__ import annotations

import sys

from fastapi import FastAPI

from miniport.common.migrate import SchemaOutOfDate
from miniport.common.settings import SettingsError
from miniport.platform.settings import PlatformSettings
from miniport.platform.web.app import create_app


def create_app_from_env() -> FastAPI:
    """The platform app configured from ``MINIPORT_PLATFORM_*`` environment variables."""
    try:
        return create_app(PlatformSettings())
    except (SchemaOutOfDate, SettingsError) as error:
        # A server that cannot start should say why in one line, not in a traceback the
        # ASGI server prints for every worker.
        print(f"miniport platform: {error}", file=sys.stderr)
        raise SystemExit(1) from error
