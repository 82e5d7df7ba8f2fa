"""The shop as an ASGI factory for servers that start it by name.

``miniport serve shop`` (and ``uvicorn --factory``) import
``miniport.shop.web.asgi:create_app_from_env`` in every worker process, so each worker
builds its own settings, engine and platform client from ``MINIPORT_SHOP_*``.
"""

from __future__ import annotations

import sys

from fastapi import FastAPI

from miniport.common.migrate import SchemaOutOfDate
from miniport.common.settings import SettingsError
from miniport.shop.settings import ShopSettings
from miniport.shop.web.app import create_app


def create_app_from_env() -> FastAPI:
    try:
        return create_app(ShopSettings())
    except (SchemaOutOfDate, SettingsError) as error:
        print(f"miniport shop: {error}", file=sys.stderr)
        raise SystemExit(1) from error
