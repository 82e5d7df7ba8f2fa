"""The host app as an ASGI factory for servers that start it by name.

``miniport serve host`` (and ``uvicorn --factory``) import
``miniport.host.web.asgi:create_app_from_env`` in every worker process, so each worker
builds its own settings, engine and platform client from ``MINIPORT_HOST_*``,
and serves it behind the edge (``common.edge``): request limits, request ids, access log.
"""

from __future__ import annotations

import sys

from pydantic import ValidationError

from miniport.common.edge.middleware import Edge
from miniport.common.edge.serving import wrap
from miniport.common.migrate import SchemaOutOfDate
from miniport.common.settings import SettingsError, invalid_settings
from miniport.host.settings import HostSettings
from miniport.host.web.app import create_app


def create_app_from_env() -> Edge:
    try:
        settings = HostSettings()
        return wrap(create_app(settings), settings, service=settings.service_name)
    except (SchemaOutOfDate, SettingsError) as error:
        print(f"miniport host: {error}", file=sys.stderr)
        raise SystemExit(1) from error
    except ValidationError as error:
        problem = invalid_settings(error, prefix="MINIPORT_HOST_")
        print(f"miniport host: {problem}", file=sys.stderr)
        raise SystemExit(1) from error
