"""Running flows: send each call (retrying idempotent ones), feed the result back.

The two drivers differ only in how they send and sleep; everything else — which request,
how to read the answer, what to retry — comes from the calls and ``retries``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar, cast

import httpx

from miniport.sdk._flow import Call, Flow
from miniport.sdk.errors import MiniportError
from miniport.sdk.retries import RetryPolicy, is_retryable, transport_error

T = TypeVar("T")
R = TypeVar("R")


class SyncDriver:
    def __init__(
        self,
        http: httpx.Client,
        retry: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http
        self._retry = retry
        self._sleep = sleep

    def send(self, call: Call[T]) -> T:
        attempts = self._retry.attempts_for(call.idempotent)
        attempt = 1
        while True:
            try:
                return call.parse(self.http.send(call.request))
            except httpx.RequestError as error:
                if attempt >= attempts or not is_retryable(error):
                    raise transport_error(error, attempts=attempt) from error
            except MiniportError as error:
                if attempt >= attempts or not is_retryable(error):
                    raise
            self._sleep(self._retry.delay(attempt))
            attempt += 1

    def run(self, flow: Flow[R]) -> R:
        try:
            call = next(flow)
            while True:
                try:
                    result = self.send(call)
                except MiniportError as error:
                    call = flow.throw(error)
                else:
                    call = flow.send(result)
        except StopIteration as stop:
            return cast(R, stop.value)

    def close(self) -> None:
        self.http.close()


class AsyncDriver:
    def __init__(self, http: httpx.AsyncClient, retry: RetryPolicy) -> None:
        self.http = http
        self._retry = retry

    async def send(self, call: Call[T]) -> T:
        attempts = self._retry.attempts_for(call.idempotent)
        attempt = 1
        while True:
            try:
                return call.parse(await self.http.send(call.request))
            except httpx.RequestError as error:
                if attempt >= attempts or not is_retryable(error):
                    raise transport_error(error, attempts=attempt) from error
            except MiniportError as error:
                if attempt >= attempts or not is_retryable(error):
                    raise
            await asyncio.sleep(self._retry.delay(attempt))
            attempt += 1

    async def run(self, flow: Flow[R]) -> R:
        try:
            call = next(flow)
            while True:
                try:
                    result = await self.send(call)
                except MiniportError as error:
                    call = flow.throw(error)
                else:
                    call = flow.send(result)
        except StopIteration as stop:
            return cast(R, stop.value)

    async def aclose(self) -> None:
        await self.http.aclose()
