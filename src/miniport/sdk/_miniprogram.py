"""The mini program's flows (access token, code exchange, URL links, brand governance) and
the access token they cache.

Shared by ``MiniProgramClient`` and ``AsyncMiniProgramClient``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx

from miniport.sdk import _responses as responses
from miniport.sdk._flow import Call, Flow
from miniport.sdk._requests import MiniProgramRequests
from miniport.sdk._tokens import CachedToken, Clock
from miniport.sdk.errors import AccessTokenExpired, InvalidCredential, InvalidToken
from miniport.sdk.models import MiniProgramSession, ReportedOrder

T = TypeVar("T")

# What a dead access token looks like: 40001/42001 on the mini-program API, invalid_token on
# the brand's ports API (which takes the same token).
_DEAD_TOKEN = (InvalidCredential, AccessTokenExpired, InvalidToken)


class MiniProgramFlows:
    def __init__(self, requests: MiniProgramRequests, *, clock: Clock) -> None:
        self.requests = requests
        self.clock = clock
        self._token: CachedToken | None = None

    # --- access token ----------------------------------------------------------------------

    def _remember(self, issued: responses.IssuedToken) -> str:
        self._token = CachedToken.expiring(
            issued.value, now=self.clock(), expires_at=issued.expires_at
        )
        return issued.value

    def access_token(self, *, force_refresh: bool = False) -> Flow[str]:
        cached = self._token
        if not force_refresh and cached is not None and cached.fresh(self.clock()):
            return cached.value
        issued = yield from Call(
            self.requests.stable_token(force_refresh=force_refresh),
            responses.mp_access_token(self.clock),
            # Asking twice is harmless: normal mode hands back the current token, and a
            # forced refresh that got lost only replaced a token the platform still honours.
            idempotent=not force_refresh,
        )
        return self._remember(issued)

    def rotate_access_token(self) -> Flow[str]:
        issued = yield from Call(
            self.requests.token(), responses.mp_access_token(self.clock), idempotent=False
        )
        return self._remember(issued)

    def _with_access_token(self, call: Callable[[str], Call[T]]) -> Flow[T]:
        """Run ``call`` with the cached access token; when the platform refuses the token,
        get a new one and try once more.

        The refusal comes before the platform acts, so the retry is safe even for calls that
        create something. A normal ``stable_token`` call usually suffices (another server
        may have replaced the token); ``force_refresh``, limited to 20 a day, is used only
        when the platform hands back the very token it just refused.
        """
        token = yield from self.access_token()
        try:
            return (yield from call(token))
        except _DEAD_TOKEN:
            refused = token
        self._token = None
        token = yield from self.access_token()
        if token == refused:
            token = yield from self.access_token(force_refresh=True)
        return (yield from call(token))

    # --- the mini-program API --------------------------------------------------------------

    def code_to_session(self, js_code: str) -> Flow[MiniProgramSession]:
        # Never retried: the code is single use.
        return (
            yield from Call(
                self.requests.jscode2session(js_code), responses.code_session, idempotent=False
            )
        )

    def generate_urllink(
        self, *, path: str, query: str, expire_interval_days: int, env_version: str
    ) -> Flow[str]:
        return (
            yield from self._with_access_token(
                lambda token: Call(
                    self.requests.generate_urllink(
                        token,
                        path=path,
                        query=query,
                        expire_interval_days=expire_interval_days,
                        env_version=env_version,
                    ),
                    responses.url_link,
                    idempotent=False,  # each call creates a link and counts against the quota
                )
            )
        )

    def query_urllink(self, url_link: str) -> Flow[dict[str, Any]]:
        return (
            yield from self._with_access_token(
                lambda token: Call(
                    self.requests.query_urllink(token, url_link),
                    responses.url_link_info,
                    idempotent=True,
                )
            )
        )

    def report_order(
        self, *, openid: str, order_id: str, amount: int, currency: str, paid_at: dt.datetime
    ) -> Flow[ReportedOrder]:
        paid_time = int(paid_at.timestamp())
        return (
            yield from self._with_access_token(
                lambda token: Call(
                    self.requests.report_order(
                        token,
                        openid=openid,
                        order_id=order_id,
                        amount=amount,
                        currency=currency,
                        paid_time=paid_time,
                    ),
                    responses.reported_order,
                    # Reports are idempotent by order_id: sending one twice records it once.
                    idempotent=True,
                )
            )
        )

    # --- the brand's ports API -------------------------------------------------------------

    def port_requests(self, *, state: str | None) -> Flow[list[dict[str, Any]]]:
        return (
            yield from self._with_access_token(
                lambda token: Call(
                    self.requests.brand_ports(token, state=state),
                    responses.port_list,
                    idempotent=True,
                )
            )
        )

    def get_port(self, port_id: int) -> Flow[dict[str, Any]]:
        return (
            yield from self._with_access_token(
                lambda token: Call(
                    self.requests.brand_port(token, port_id),
                    responses.ports_object,
                    idempotent=True,
                )
            )
        )

    def _port_write(self, request: Callable[[str], httpx.Request]) -> Flow[dict[str, Any]]:
        return (
            yield from self._with_access_token(
                lambda token: Call(request(token), responses.ports_object, idempotent=False)
            )
        )

    def approve_port(
        self, port_id: int, *, reason: str, expected_version: int | None
    ) -> Flow[dict[str, Any]]:
        return (
            yield from self._port_write(
                lambda token: self.requests.approve_port(
                    token, port_id, reason=reason, expected_version=expected_version
                )
            )
        )

    def reject_port(
        self, port_id: int, *, message: str, expected_version: int | None
    ) -> Flow[dict[str, Any]]:
        return (
            yield from self._port_write(
                lambda token: self.requests.reject_port(
                    token, port_id, message=message, expected_version=expected_version
                )
            )
        )

    def close_port(
        self, port_id: int, *, category: str, reason: str, expected_version: int | None
    ) -> Flow[dict[str, Any]]:
        return (
            yield from self._port_write(
                lambda token: self.requests.close_port(
                    token,
                    port_id,
                    category=category,
                    reason=reason,
                    expected_version=expected_version,
                )
            )
        )

    def stage_port(
        self,
        port_id: int,
        *,
        rollout_percent: int,
        allow_list: Sequence[str],
        trial_ends_at: dt.datetime | None,
        daily_launch_quota: int | None,
        expected_version: int | None,
    ) -> Flow[dict[str, Any]]:
        if trial_ends_at is not None and trial_ends_at.utcoffset() is None:
            raise ValueError("trial_ends_at must be an aware datetime")
        return (
            yield from self._port_write(
                lambda token: self.requests.stage_port(
                    token,
                    port_id,
                    rollout_percent=rollout_percent,
                    allow_list=allow_list,
                    trial_ends_at=trial_ends_at,
                    daily_launch_quota=daily_launch_quota,
                    expected_version=expected_version,
                )
            )
        )

    def set_port_policy(self, policy: str) -> Flow[dict[str, Any]]:
        return (
            yield from self._port_write(lambda token: self.requests.set_port_policy(token, policy))
        )
