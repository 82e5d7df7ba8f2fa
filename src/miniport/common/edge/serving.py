"""How every miniport server runs: the edge around the app, and uvicorn's options.

``miniport serve platform|host|shop``, the demo's children and the benchmarks all start
uvicorn through ``serve``, and every service's ASGI factory wraps its app with ``wrap``; so
what a person runs, what the demo runs and what is measured are the same thing.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from miniport.common.edge.access_log import AccessLog, LineBuffer
from miniport.common.edge.logs import log_config, wants_json
from miniport.common.edge.middleware import Edge, Limits
from miniport.common.edge.settings import EdgeSettings


def limits_of(settings: EdgeSettings) -> Limits:
    return Limits(
        max_url_bytes=settings.max_url_bytes,
        max_headers=settings.max_headers,
        max_header_bytes=settings.max_header_bytes,
        max_body_bytes=settings.max_body_bytes,
    )


def wrap(app: ASGIApp, settings: EdgeSettings, *, service: str) -> Edge:
    """``app`` behind the edge: limits, request ids, and the access log unless turned off.

    Access-log lines go to standard output; errors and events (``logging``) to standard
    error.
    """
    access_log = None
    if settings.access_log:
        access_log = AccessLog(
            LineBuffer(sys.stdout.buffer),
            service=service,
            json=wants_json(settings.log_format),
        )
    return Edge(app, limits=limits_of(settings), access_log=access_log)


def uvicorn_options(settings: EdgeSettings, *, service: str) -> dict[str, Any]:
    """uvicorn's keyword arguments for a miniport server.

    Forwarding headers (``X-Forwarded-For``, ``-Proto``) are believed only from the
    ``trusted_proxies``; uvicorn's own default would believe them from 127.0.0.1, so anyone
    on the machine could claim any client address (and dodge per-address limits).
    """
    trusted = settings.trusted_proxies
    return {
        "log_config": log_config(service=service, json=wants_json(settings.log_format)),
        "access_log": False,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": ",".join(trusted) if trusted else "",
    }


def serve(
    factory: str,
    settings: EdgeSettings,
    *,
    service: str,
    host: str,
    port: int,
    workers: int = 1,
    **extra: Any,
) -> None:
    """Run ``factory`` (``module:function`` building the app) under uvicorn until stopped."""
    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **uvicorn_options(settings, service=service),
        **extra,
    )
