"""Request ids: a caller's own when it is short and plain, else one made here.

Made ids are a random per-process prefix and a counter (``5f3a9c1e-1f``): unique across
workers and machines for any practical purpose, and far cheaper than random bytes per
request. They name a request in logs; they are no secret and grant nothing.
"""

from __future__ import annotations

import itertools
import secrets
from contextvars import ContextVar

HEADER = b"x-request-id"
MAX_LENGTH = 64
# What a caller's id may contain besides ASCII letters and digits: enough for UUIDs, ULIDs
# and the usual proxies' ids, nothing that could break a log line or a header.
_PUNCTUATION = b"-_.:"

# The id of the request being served, for error logs written while it runs.
current: ContextVar[bytes | None] = ContextVar("miniport_request_id", default=None)


def acceptable(value: bytes) -> bool:
    """Whether an incoming ``X-Request-Id`` may be kept as the request's id."""
    return 0 < len(value) <= MAX_LENGTH and value.translate(None, _PUNCTUATION).isalnum()


class RequestIds:
    """Ids as ASCII bytes: they go into a header as they are, and are decoded only to log."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(4).encode("ascii") + b"-"
        self._counter = itertools.count(1)

    def new(self) -> bytes:
        return self._prefix + b"%x" % next(self._counter)
