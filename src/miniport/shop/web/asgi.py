"""The shop as an ASGI factory for servers that start it by name.

``miniport serve shop`` (and ``uvicorn --factory``) import
``miniport.shop.web.asgi:create_app_from_env`` in every worker process, so each worker
builds its own settings, engine and platform client from ``MINIPORT_SHOP_*``,
and serves it behind the edge (``common.edge``): request limits, request ids, access log.
"""

from __future__ import annotations

import sys

from pydantic import ValidationError

from miniport.common.edge.middleware import Edge
from miniport.common.edge.serving import wrap
from miniport.common.migrate import SchemaOutOfDate
from miniport.common.settings import SettingsError, invalid_settings
from miniport.shop.settings import ShopSettings
from miniport.shop.web.app import create_app


def create_app_from_env() -> Edge:
    try:
        settings = ShopSettings()
        return wrap(create_app(settings), settings, service=settings.service_name)
    except (SchemaOutOfDate, SettingsError) as error:
        print(f"miniport shop: {error}", file=sys.stderr)
        raise SystemExit(1) from error
    except ValidationError as error:
        problem = invalid_settings(error, prefix="MINIPORT_SHOP_")
        print(f"miniport shop: {problem}", file=sys.stderr)
        raise SystemExit(1) from error
