"""Retrying idempotent calls: when a failure is worth another attempt, and how long to wait.

Only calls marked idempotent are retried (reads, introspection, revocation, ``check``,
``query_urllink``, access tokens for the client itself). Single-use values — authorization
codes, refresh tokens, launch codes — and calls that create something are sent once: a
timeout may mean the platform did act, and a second attempt would fail or duplicate it.

Worth retrying: the connection could not be made or broke (``httpx.NetworkError``,
``RemoteProtocolError``), a timeout, the mini-program API's ``-1`` (system busy), and a 502,
503 or 504 from a proxy in front of the platform.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

from miniport.sdk.errors import OAuthError, SystemBusy, TransportError, UnexpectedResponse

_GATEWAY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` in all (1 turns retries off); waits grow ``backoff`` × 2ⁿ up to
    ``max_backoff`` seconds, each drawn between half and all of that (jitter spreads the
    retries of many clients after one outage)."""

    attempts: int = 3
    backoff: float = 0.2
    max_backoff: float = 5.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.backoff < 0 or self.max_backoff < 0:
            raise ValueError("backoff must not be negative")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        if not self.jitter:
            return ceiling
        # Jitter needs no unpredictability, only spread.
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311

    def attempts_for(self, idempotent: bool) -> int:
        return self.attempts if idempotent else 1


def is_retryable(error: Exception) -> bool:
    """Is ``error`` (an ``httpx`` error or an SDK error) a transient failure?"""
    if isinstance(error, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return True
    if isinstance(error, SystemBusy):
        return True
    if isinstance(error, UnexpectedResponse | OAuthError):
        return error.status_code in _GATEWAY_STATUSES
    return False


def transport_error(error: httpx.RequestError, *, attempts: int) -> TransportError:
    """What a caller sees once no attempt is left for a request that got no answer."""
    return TransportError(
        f"{type(error).__name__} talking to {_url_of(error)} after {attempts} attempt(s): {error}",
        attempts=attempts,
    )


def _url_of(error: httpx.RequestError) -> str:
    try:
        return str(error.request.url.copy_with(query=None))  # no credentials in messages
    except RuntimeError:  # httpx raises when the error carries no request
        return "the platform"
