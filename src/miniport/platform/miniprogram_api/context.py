"""What every mini-program API call needs besides its parameters: in-memory directories, the
port snapshot, keys and the time. Built per request by the route from the worker's runtime.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine

from miniport.platform.identifiers import IdentifierDeriver
from miniport.platform.miniprogram_api.credentials import AccessTokenDirectory
from miniport.platform.miniprogram_api.directory import MiniProgramDirectory
from miniport.platform.miniprogram_api.ratelimit import ExchangeRateLimiter
from miniport.platform.oauth.token_store import TokenCache
from miniport.platform.ports.snapshot import PortDirectory


@dataclass(frozen=True, slots=True)
class ApiContext:
    mini_programs: MiniProgramDirectory
    ports: PortDirectory
    run_tickets: TokenCache
    # Read-only (no write lock), for look-ups outside the request's own transaction.
    read_engine: Engine
    access_tokens: AccessTokenDirectory
    identifiers: IdentifierDeriver
    exchange_limiter: ExchangeRateLimiter
    base_url: str
    now: dt.datetime
