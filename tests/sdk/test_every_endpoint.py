"""Every platform endpoint, called through the SDK against a running platform: the result has
the documented field names and types (one table row per call; ``shapes`` holds the shapes).

Each row gets a fresh platform and world and builds what it needs (a signed-in user, a port
request, a launch code) through the SDK itself, so rows are independent of one another. The
async clients run a representative subset of the same table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from miniport.sdk import (
    AsyncHostClient,
    AsyncMiniProgramClient,
    Launch,
)
from tests.factories import World
from tests.sdk import shapes
from tests.sdk.conftest import USER_KEY, Tour, consent


@dataclass(frozen=True)
class Row:
    call: Callable[[Tour], Any]
    shape: Any
    # What the value must also satisfy, beyond its shape (the row's point, in one line).
    check: Callable[[Any, Tour], bool] = lambda _value, _tour: True


def _exchange(tour: Tour) -> Any:
    start, params = tour.code_and_callback()
    return tour.host.exchange_code(
        code=params["code"],
        redirect_uri=start.redirect_uri,
        code_verifier=start.code_verifier,
        expected_state=start.state,
        returned_state=params["state"],
        returned_iss=params["iss"],
    )


def _revoke_then_introspect(tour: Tour) -> Any:
    tour.host.revoke(tour.run_ticket)
    return tour.host.introspect(tour.run_ticket)


def _check_link(tour: Tour) -> Any:
    return tour.host.check(user_key=USER_KEY, items=[tour.url_link])


def _report_order(tour: Tour) -> Any:
    session = tour.store.code_to_session(tour.launch().code)
    return tour.store.report_order(
        openid=session.openid,
        order_id="GUCCI-2026-0001",
        amount=1_280_000,
        paid_at=dt.datetime.now(dt.UTC),
    )


def _brand_list(tour: Tour) -> Any:
    assert tour.requested_port_id  # 京东's request, so both hosts are listed
    return tour.store.port_requests()


def _entry_query(launch: Launch) -> dict[str, list[str]]:
    return parse_qs(urlsplit(launch.launch_url).query)


SYNC_ROWS: dict[str, Row] = {
    # --- OpenID Connect ------------------------------------------------------------------
    "discovery": Row(
        lambda t: t.host.discovery(), shapes.DISCOVERY, lambda v, t: v["issuer"] == t.platform_url
    ),
    "new_authorization": Row(
        lambda t: t.host.new_authorization(redirect_uri=t.world.redirect_uri, appid=t.world.appid),
        shapes.AUTHORIZATION_START,
        lambda v, t: v.url.startswith(t.platform_url + "/authorize?"),
    ),
    "authorize+token+jwks (complete_authorization)": Row(
        lambda t: t.signed_in.result,
        shapes.AUTHORIZATION_RESULT,
        lambda v, t: v.claims["aud"] == t.world.client_id and v.tokens.appids == [t.world.appid],
    ),
    "token authorization_code (exchange_code)": Row(
        _exchange, shapes.USER_TOKEN_SET, lambda v, t: v.token_type == "Bearer"
    ),
    "jwks (verify_id_token)": Row(
        lambda t: t.host.verify_id_token(
            t.signed_in.result.tokens.id_token or "",
            nonce=t.signed_in.start.nonce,
            access_token=t.run_ticket,
        ),
        shapes.ID_TOKEN_CLAIMS,
        lambda v, t: v["sub"] == t.signed_in.result.subject,
    ),
    "token refresh_token (refresh)": Row(
        lambda t: t.host.refresh(t.signed_in.result.tokens.refresh_token or ""),
        shapes.REFRESHED_TOKEN_SET,
        lambda v, t: v.refresh_token != t.signed_in.result.tokens.refresh_token,
    ),
    "token client_credentials (client_token)": Row(
        lambda t: t.host.client_token(), str, lambda v, t: len(v) >= 22
    ),
    "userinfo": Row(
        lambda t: t.host.userinfo(t.run_ticket),
        shapes.USERINFO,
        lambda v, t: v["sub"] == t.signed_in.result.subject,
    ),
    "introspect (active)": Row(
        lambda t: t.host.introspect(t.run_ticket),
        shapes.INTROSPECTION_ACTIVE,
        lambda v, t: (
            v["active"] is True and v["authorization_details"][0]["appid"] == t.world.appid
        ),
    ),
    "introspect (unknown token)": Row(
        lambda t: t.host.introspect("not-a-token-we-issued"),
        shapes.INTROSPECTION_INACTIVE,
        lambda v, t: v == {"active": False},
    ),
    "revoke": Row(
        _revoke_then_introspect, shapes.INTROSPECTION_INACTIVE, lambda v, t: v["active"] is False
    ),
    # --- the host's ports ------------------------------------------------------------------
    "ports check (appids)": Row(
        lambda t: t.host.check(user_key=USER_KEY, items=[t.world.appid, "wx0000000000000000"]),
        [shapes.PORT_CHECK],
        lambda v, t: [(c.open, c.reason) for c in v] == [(True, "open"), (False, "no_port")],
    ),
    "ports check (URL link)": Row(
        _check_link,
        [shapes.PORT_CHECK],
        lambda v, t: (
            (v[0].appid, v[0].path, v[0].query) == (t.world.appid, "/pages/product", "id=42")
        ),
    ),
    "ports apply": Row(
        lambda t: t.jd.apply_port(appid=t.world.appid, reason="notes about the brand"),
        shapes.PORT_DETAIL,
        lambda v, t: v["state"] == "requested",
    ),
    "ports list": Row(
        lambda t: t.host.list_ports(),
        [shapes.PORT],
        lambda v, t: {p["appid"] for p in v} == {t.world.appid, t.world.second_appid},
    ),
    "ports show": Row(
        lambda t: t.host.get_port(t.open_port_id),
        shapes.PORT_DETAIL,
        lambda v, t: [h["to_state"] for h in v["history"]] == ["requested", "open"],
    ),
    "ports withdraw": Row(
        lambda t: t.jd.withdraw_port(t.requested_port_id, reason="later"),
        shapes.PORT_DETAIL,
        lambda v, t: v["state"] == "withdrawn",
    ),
    # --- launch and the mini-program face ---------------------------------------------------
    "launch": Row(
        lambda t: t.launch(),
        shapes.LAUNCH,
        lambda v, t: (v.scene, v.expires_in, _entry_query(v)["code"]) == (1069, 300, [v.code]),
    ),
    "stable_token (access_token)": Row(lambda t: t.store.access_token(), str),
    "token (rotate_access_token)": Row(
        lambda t: t.store.rotate_access_token(), str, lambda v, t: v == t.store.access_token()
    ),
    "jscode2session (code_to_session)": Row(
        lambda t: t.store.code_to_session(t.launch().code),
        shapes.SESSION,
        lambda v, t: v.unionid is not None,
    ),
    "generate_urllink": Row(
        lambda t: t.url_link, str, lambda v, t: v.startswith(t.platform_url + "/urllink/")
    ),
    "query_urllink": Row(
        lambda t: t.store.query_urllink(t.url_link),
        shapes.URL_LINK_INFO,
        lambda v, t: v["url_link_info"]["appid"] == t.world.appid,
    ),
    "report_order": Row(
        _report_order,
        shapes.REPORTED_ORDER,
        lambda v, t: (v.host_client_id, v.duplicate) == (t.world.client_id, False),
    ),
    # --- the brand's port governance ---------------------------------------------------------
    "brand ports list (port_requests)": Row(
        _brand_list,
        [shapes.BRAND_PORT],
        lambda v, t: {p["client_id"] for p in v} == {t.world.client_id, t.world.other_client_id},
    ),
    "brand port show": Row(
        lambda t: t.store.get_port(t.open_port_id),
        shapes.PORT_DETAIL,
        lambda v, t: v["state"] == "open",
    ),
    "brand approve": Row(
        lambda t: t.store.approve_port(t.requested_port_id, reason="welcome"),
        shapes.PORT_DETAIL,
        lambda v, t: v["state"] == "open",
    ),
    "brand reject": Row(
        lambda t: t.store.reject_port(t.requested_port_id, message="not now"),
        shapes.PORT_DETAIL,
        lambda v, t: v["state"] == "rejected",
    ),
    "brand close": Row(
        lambda t: t.store.close_port(t.open_port_id, category="security", reason="counterfeits"),
        shapes.PORT_DETAIL,
        lambda v, t: v["state"] == "closed" and v["last_transition"]["reason"] == "counterfeits",
    ),
    "brand staging": Row(
        lambda t: t.store.stage_port(
            t.open_port_id,
            rollout_percent=50,
            allow_list=[USER_KEY],
            trial_ends_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=7),
            daily_launch_quota=1000,
        ),
        shapes.PORT_DETAIL,
        lambda v, t: (
            v["staging"]["rollout_percent"] == 50 and v["staging"]["allow_list"] == [USER_KEY]
        ),
    ),
    "brand policy": Row(
        lambda t: t.store.set_port_policy("auto_approve"),
        shapes.POLICY,
        lambda v, t: v == {"appid": t.world.appid, "policy": "auto_approve"},
    ),
}


@pytest.mark.parametrize("name", list(SYNC_ROWS))
def test_every_endpoint_answers_its_documented_shape(name: str, tour: Tour) -> None:
    row = SYNC_ROWS[name]
    value = row.call(tour)
    assert shapes.mismatches(value, row.shape) == []
    assert row.check(value, tour), value


# --- the async clients ------------------------------------------------------------------------


class AsyncTour:
    def __init__(self, platform_url: str, world: World) -> None:
        self.platform_url = platform_url
        self.world = world
        self.host = AsyncHostClient(
            platform_url, client_id=world.client_id, client_secret=world.client_secret
        )
        self.store = AsyncMiniProgramClient(
            platform_url, appid=world.appid, secret=world.app_secret
        )

    async def aclose(self) -> None:
        await self.host.aclose()
        await self.store.aclose()

    async def sign_in(self) -> Any:
        start = self.host.new_authorization(
            redirect_uri=self.world.redirect_uri, appid=self.world.appid
        )
        params = consent(self.platform_url, start, username=self.world.username)
        return await self.host.complete_authorization(start, params)

    async def launch(self) -> Launch:
        signed_in = await self.sign_in()
        return await self.host.launch(
            run_ticket=signed_in.tokens.access_token,
            appid=self.world.appid,
            path="/pages/index",
            user_key=USER_KEY,
        )

    async def url_link(self) -> str:
        return await self.store.generate_urllink(path="/pages/product", query="id=42")


async def _async_refresh_and_introspect(t: AsyncTour) -> Any:
    signed_in = await t.sign_in()
    refreshed = await t.host.refresh(signed_in.tokens.refresh_token)
    return await t.host.introspect(refreshed.access_token)


async def _async_code_to_session(t: AsyncTour) -> Any:
    return await t.store.code_to_session((await t.launch()).code)


async def _async_query_urllink(t: AsyncTour) -> Any:
    return await t.store.query_urllink(await t.url_link())


async def _async_staging(t: AsyncTour) -> Any:
    ports = await t.store.port_requests(state="open")
    port = next(p for p in ports if p["client_id"] == t.world.client_id)
    return await t.store.stage_port(
        port["id"],
        rollout_percent=100,
        allow_list=[],
        trial_ends_at=None,
        daily_launch_quota=None,
        expected_version=port["version"],
    )


ASYNC_ROWS: dict[str, tuple[Callable[[AsyncTour], Awaitable[Any]], Any]] = {
    "discovery": (lambda t: t.host.discovery(), shapes.DISCOVERY),
    "complete_authorization": (lambda t: t.sign_in(), shapes.AUTHORIZATION_RESULT),
    "refresh + introspect": (_async_refresh_and_introspect, shapes.INTROSPECTION_ACTIVE),
    "check": (
        lambda t: t.host.check(user_key=USER_KEY, items=[t.world.appid]),
        [shapes.PORT_CHECK],
    ),
    "list_ports": (lambda t: t.host.list_ports(), [shapes.PORT]),
    "launch": (lambda t: t.launch(), shapes.LAUNCH),
    "code_to_session": (_async_code_to_session, shapes.SESSION),
    "query_urllink": (_async_query_urllink, shapes.URL_LINK_INFO),
    "port_requests": (lambda t: t.store.port_requests(), [shapes.BRAND_PORT]),
    "stage_port": (_async_staging, shapes.PORT_DETAIL),
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def async_tour(platform_url: str, world: World) -> Iterator[AsyncTour]:
    yield AsyncTour(platform_url, world)


@pytest.mark.anyio
@pytest.mark.parametrize("name", list(ASYNC_ROWS))
async def test_the_async_clients_answer_the_same_shapes(name: str, async_tour: AsyncTour) -> None:
    call, shape = ASYNC_ROWS[name]
    try:
        value = await call(async_tour)
    finally:
        await async_tour.aclose()
    assert shapes.mismatches(value, shape) == []
