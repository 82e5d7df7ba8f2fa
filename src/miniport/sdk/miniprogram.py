"""``MiniProgramClient`` and ``AsyncMiniProgramClient``: a mini program's server (the brand's
store) talking to the platform — the mini-program API and the brand's port governance.

Both run the flows of ``miniport.sdk._miniprogram``; the access token is cached and
renewed before it expires, and a call the platform refuses for a dead token (40001, 42001,
``invalid_token``) is retried once with a new one.

    with MiniProgramClient("https://platform.example", appid="wx…", secret=...) as platform:
        session = platform.code_to_session(request.query_params["code"])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

from miniport.sdk._drivers import AsyncDriver, SyncDriver
from miniport.sdk._miniprogram import MiniProgramFlows
from miniport.sdk._requests import MiniProgramRequests
from miniport.sdk._tokens import Clock, utc_now
from miniport.sdk.models import CloseCategory, MiniProgramSession, PortPolicy, ReportedOrder
from miniport.sdk.retries import RetryPolicy


class _MiniProgramBase:
    def __init__(
        self,
        base_url: str,
        *,
        appid: str,
        secret: str,
        timeout: float,
        retry: RetryPolicy | None,
        clock: Clock | None,
    ) -> None:
        self._retry = retry or RetryPolicy()
        self._flows = MiniProgramFlows(
            MiniProgramRequests(base_url, appid=appid, secret=secret, timeout=timeout),
            clock=clock or utc_now,
        )

    @property
    def base_url(self) -> str:
        return self._flows.requests.base_url

    @property
    def appid(self) -> str:
        return self._flows.requests.appid


class MiniProgramClient(_MiniProgramBase):
    """The platform's APIs for one mini program, synchronous (``httpx.Client``).

    ``transport``, ``retry`` and ``clock`` as for ``HostClient``.
    """

    def __init__(
        self,
        base_url: str,
        *,
        appid: str,
        secret: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            base_url, appid=appid, secret=secret, timeout=timeout, retry=retry, clock=clock
        )
        http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)
        self._driver = SyncDriver(http, self._retry)

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> MiniProgramClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- the mini-program API --------------------------------------------------------------

    def access_token(self, *, force_refresh: bool = False) -> str:
        """The mini program's access token (``/cgi-bin/stable_token``), cached and renewed
        about a minute before it expires. ``force_refresh`` (20 a day, 30 s apart) mints a
        new one at once."""
        return self._driver.run(self._flows.access_token(force_refresh=force_refresh))

    def rotate_access_token(self) -> str:
        """Mint a new token with ``/cgi-bin/token`` (the previous one keeps working for five
        minutes) and cache it. Prefer ``access_token`` when several servers share an appid."""
        return self._driver.run(self._flows.rotate_access_token())

    def code_to_session(self, js_code: str) -> MiniProgramSession:
        """``jscode2session``: trade the launch code from the entry URL for the user's
        ``openid``, ``unionid`` and a session key. Not retried (codes are single use)."""
        return self._driver.run(self._flows.code_to_session(js_code))

    def generate_urllink(
        self,
        *,
        path: str,
        query: str = "",
        expire_interval_days: int = 30,
        env_version: str = "release",
    ) -> str:
        """A URL link opening ``path`` (a page, without query) with ``query``; it lives
        ``expire_interval_days`` (1 to 30) days."""
        return self._driver.run(
            self._flows.generate_urllink(
                path=path,
                query=query,
                expire_interval_days=expire_interval_days,
                env_version=env_version,
            )
        )

    def query_urllink(self, url_link: str) -> dict[str, Any]:
        """What one of this mini program's links opens: ``{"url_link_info": {"appid",
        "path", "query", "create_time", "expire_time", "env_version"}}``."""
        return self._driver.run(self._flows.query_urllink(url_link))

    def report_order(
        self,
        *,
        openid: str,
        order_id: str,
        amount: int,
        paid_at: dt.datetime,
        currency: str = "CNY",
    ) -> ReportedOrder:
        """Report a paid order (``amount`` in fen) of the user with this ``openid``; the
        platform attributes it to the host app the user came from and counts it in the
        operator's close preview. Idempotent by ``order_id``, so it is retried."""
        return self._driver.run(
            self._flows.report_order(
                openid=openid, order_id=order_id, amount=amount, currency=currency, paid_at=paid_at
            )
        )

    # --- the brand's port governance -------------------------------------------------------

    def port_requests(self, *, state: str | None = None) -> list[dict[str, Any]]:
        """Requests and ports of this mini program, newest first, each with its host's
        names (optionally only those in ``state``)."""
        return self._driver.run(self._flows.port_requests(state=state))

    def get_port(self, port_id: int) -> dict[str, Any]:
        """One port of this mini program, with its whole history."""
        return self._driver.run(self._flows.get_port(port_id))

    def approve_port(
        self, port_id: int, *, reason: str = "", expected_version: int | None = None
    ) -> dict[str, Any]:
        """Approve a request; ``expected_version`` refuses if the port changed meanwhile."""
        return self._driver.run(
            self._flows.approve_port(port_id, reason=reason, expected_version=expected_version)
        )

    def reject_port(
        self, port_id: int, *, message: str, expected_version: int | None = None
    ) -> dict[str, Any]:
        """Reject a request; ``message`` goes to the host."""
        return self._driver.run(
            self._flows.reject_port(port_id, message=message, expected_version=expected_version)
        )

    def close_port(
        self,
        port_id: int,
        *,
        category: CloseCategory,
        reason: str,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Close an open port; launches stop at once and both partners get ``port.closed``."""
        return self._driver.run(
            self._flows.close_port(
                port_id, category=category, reason=reason, expected_version=expected_version
            )
        )

    def set_port_policy(self, policy: PortPolicy) -> dict[str, Any]:
        """How requests for this mini program are answered: ``review``, ``auto_approve`` or
        ``auto_refuse``."""
        return self._driver.run(self._flows.set_port_policy(policy))

    def stage_port(
        self,
        port_id: int,
        *,
        rollout_percent: int,
        allow_list: Sequence[str],
        trial_ends_at: dt.datetime | None,
        daily_launch_quota: int | None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Stage an open port: share of users (stable per user key), allow-listed user keys,
        the end of a trial (aware datetime), a daily launch quota; ``None`` clears one."""
        return self._driver.run(
            self._flows.stage_port(
                port_id,
                rollout_percent=rollout_percent,
                allow_list=allow_list,
                trial_ends_at=trial_ends_at,
                daily_launch_quota=daily_launch_quota,
                expected_version=expected_version,
            )
        )


class AsyncMiniProgramClient(_MiniProgramBase):
    """``MiniProgramClient`` for asyncio (``httpx.AsyncClient``); the same methods, awaited."""

    def __init__(
        self,
        base_url: str,
        *,
        appid: str,
        secret: str,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            base_url, appid=appid, secret=secret, timeout=timeout, retry=retry, clock=clock
        )
        http = httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
        self._driver = AsyncDriver(http, self._retry)

    async def aclose(self) -> None:
        await self._driver.aclose()

    async def __aenter__(self) -> AsyncMiniProgramClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def access_token(self, *, force_refresh: bool = False) -> str:
        return await self._driver.run(self._flows.access_token(force_refresh=force_refresh))

    async def rotate_access_token(self) -> str:
        return await self._driver.run(self._flows.rotate_access_token())

    async def code_to_session(self, js_code: str) -> MiniProgramSession:
        return await self._driver.run(self._flows.code_to_session(js_code))

    async def generate_urllink(
        self,
        *,
        path: str,
        query: str = "",
        expire_interval_days: int = 30,
        env_version: str = "release",
    ) -> str:
        return await self._driver.run(
            self._flows.generate_urllink(
                path=path,
                query=query,
                expire_interval_days=expire_interval_days,
                env_version=env_version,
            )
        )

    async def query_urllink(self, url_link: str) -> dict[str, Any]:
        return await self._driver.run(self._flows.query_urllink(url_link))

    async def report_order(
        self,
        *,
        openid: str,
        order_id: str,
        amount: int,
        paid_at: dt.datetime,
        currency: str = "CNY",
    ) -> ReportedOrder:
        return await self._driver.run(
            self._flows.report_order(
                openid=openid, order_id=order_id, amount=amount, currency=currency, paid_at=paid_at
            )
        )

    async def port_requests(self, *, state: str | None = None) -> list[dict[str, Any]]:
        return await self._driver.run(self._flows.port_requests(state=state))

    async def get_port(self, port_id: int) -> dict[str, Any]:
        return await self._driver.run(self._flows.get_port(port_id))

    async def approve_port(
        self, port_id: int, *, reason: str = "", expected_version: int | None = None
    ) -> dict[str, Any]:
        return await self._driver.run(
            self._flows.approve_port(port_id, reason=reason, expected_version=expected_version)
        )

    async def reject_port(
        self, port_id: int, *, message: str, expected_version: int | None = None
    ) -> dict[str, Any]:
        return await self._driver.run(
            self._flows.reject_port(port_id, message=message, expected_version=expected_version)
        )

    async def close_port(
        self,
        port_id: int,
        *,
        category: CloseCategory,
        reason: str,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        return await self._driver.run(
            self._flows.close_port(
                port_id, category=category, reason=reason, expected_version=expected_version
            )
        )

    async def set_port_policy(self, policy: PortPolicy) -> dict[str, Any]:
        return await self._driver.run(self._flows.set_port_policy(policy))

    async def stage_port(
        self,
        port_id: int,
        *,
        rollout_percent: int,
        allow_list: Sequence[str],
        trial_ends_at: dt.datetime | None,
        daily_launch_quota: int | None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        return await self._driver.run(
            self._flows.stage_port(
                port_id,
                rollout_percent=rollout_percent,
                allow_list=allow_list,
                trial_ends_at=trial_ends_at,
                daily_launch_quota=daily_launch_quota,
                expected_version=expected_version,
            )
        )
