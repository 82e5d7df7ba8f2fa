"""Calls and flows: the SDK's I/O-free core, shared by the sync and the async clients.

A ``Call`` is one HTTP exchange described as data: the ``httpx.Request`` to send, whether
repeating it is safe, and the function that turns the response into a result (or raises the
documented exception). A *flow* is a generator that yields calls and receives their results,
so logic spanning several calls (discovery before an issuer check, a JWKS refetch on an
unknown ``kid``, a fresh token after ``invalid_token``) is written once::

    def userinfo(self, access_token: str) -> Flow[dict[str, Any]]:
        return (yield from Call(request, parse, idempotent=True))

``yield from call`` evaluates to the call's result, typed. Errors of a call are thrown into
the flow at that ``yield``, so flows may catch and recover from them. The clients only run
flows (``miniport.sdk._drivers``): the sync one with ``httpx.Client``, the async one with
``httpx.AsyncClient``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

import httpx

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    request: httpx.Request
    parse: Callable[[httpx.Response], T]
    # Safe to send again after a network error: reads, and writes whose repetition changes
    # nothing (revoking twice, introspecting twice). Never single-use values (codes, refresh
    # tokens) or calls that create something (a launch code, a URL link).
    idempotent: bool

    def __iter__(self) -> Generator[Call[T], T, T]:
        return (yield self)


Flow: TypeAlias = Generator[Call[Any], Any, R]
