"""Each error the platform produces reaches the partner as its own exception class.

One row per error: provoke it through the SDK against a running platform, then check the
class and what it carries (``errcode``, ``error``, ``status_code``, a port's close reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from miniport.platform.accounts.models import User
from miniport.platform.miniprogram_api.ratelimit import ExchangeRateLimiter
from miniport.sdk import HostClient, MiniProgramClient, errors
from miniport.sdk import _responses as responses
from tests.sdk.conftest import USER_KEY, Tour, consent


@dataclass(frozen=True)
class Case:
    provoke: Callable[[Tour], object]
    raises: type[errors.MiniportError]
    carries: dict[str, Any]


def _host_with_secret(tour: Tour, secret: str) -> HostClient:
    return HostClient(tour.platform_url, client_id=tour.world.client_id, client_secret=secret)


def _token_for(tour: Tour, *, appid: str, secret: str) -> object:
    with MiniProgramClient(tour.platform_url, appid=appid, secret=secret) as store:
        return store.access_token()


def _wrong_client_secret(tour: Tour) -> object:
    with _host_with_secret(tour, "not-the-secret") as host:
        return host.client_token()


def _code_twice(tour: Tour) -> object:
    start, params = tour.code_and_callback()
    exchange = {
        "code": params["code"],
        "redirect_uri": start.redirect_uri,
        "code_verifier": start.code_verifier,
    }
    tour.host.exchange_code(**exchange)
    return tour.host.exchange_code(**exchange)


def _wrong_verifier(tour: Tour) -> object:
    start, params = tour.code_and_callback()
    return tour.host.exchange_code(
        code=params["code"], redirect_uri=start.redirect_uri, code_verifier="x" * 64
    )


def _denied(tour: Tour) -> object:
    start = tour.host.new_authorization(
        redirect_uri=tour.world.redirect_uri, appid=tour.world.appid
    )
    params = consent(tour.platform_url, start, username=tour.world.username, decision="deny")
    return tour.host.complete_authorization(start, params)


def _authorize_closed_port(tour: Tour) -> object:
    tour.store.close_port(tour.open_port_id, category="security", reason="counterfeits")
    start = tour.host.new_authorization(
        redirect_uri=tour.world.redirect_uri, appid=tour.world.appid
    )
    params = consent(tour.platform_url, start, username=tour.world.username)
    return tour.host.complete_authorization(start, params)


def _refresh_twice(tour: Tour) -> object:
    refresh_token = tour.signed_in.result.tokens.refresh_token or ""
    tour.host.refresh(refresh_token)
    return tour.host.refresh(refresh_token)


def _code_used_twice(tour: Tour) -> object:
    code = tour.launch().code
    tour.store.code_to_session(code)
    return tour.store.code_to_session(code)


def _blocked_user(tour: Tour) -> object:
    code = tour.launch().code
    with tour.runtime.sessions() as session, session.begin():
        session.execute(update(User).where(User.id == tour.world.user_id).values(blocked=True))
    return tour.store.code_to_session(code)


def _launch_quota_spent(tour: Tour) -> object:
    tour.store.stage_port(
        tour.open_port_id,
        rollout_percent=100,
        allow_list=[],
        trial_ends_at=None,
        daily_launch_quota=0,
    )
    return tour.launch()


def _force_refresh_twice(tour: Tour) -> object:
    tour.store.access_token(force_refresh=True)
    # force_refresh is limited to one per 30 seconds.
    return tour.store.access_token(force_refresh=True)


def _exchange_rate_limited(tour: Tour) -> object:
    tour.runtime.mp_exchange_limiter = ExchangeRateLimiter(limit=1)
    tour.store.code_to_session(tour.launch().code)
    return tour.store.code_to_session(tour.launch().code)


def _launch(tour: Tour, **changes: str) -> object:
    values = {
        "run_ticket": tour.run_ticket,
        "appid": tour.world.appid,
        "path": "/pages/index",
        "user_key": USER_KEY,
        **changes,
    }
    return tour.host.launch(**values)


def _launch_after_close(tour: Tour) -> object:
    ticket = tour.run_ticket
    tour.store.close_port(tour.open_port_id, category="security", reason="counterfeits")
    return _launch(tour, run_ticket=ticket)


def _exchange_after_close(tour: Tour) -> object:
    code = tour.launch().code
    tour.store.close_port(tour.open_port_id, category="policy", reason="trial over")
    return tour.store.code_to_session(code)


def _outside_rollout(tour: Tour) -> object:
    ticket = tour.run_ticket
    tour.store.stage_port(
        tour.open_port_id,
        rollout_percent=0,
        allow_list=[],
        trial_ends_at=None,
        daily_launch_quota=None,
    )
    return _launch(tour, run_ticket=ticket)


def _stale_version(tour: Tour) -> object:
    port = tour.jd.get_port(tour.requested_port_id)
    return tour.store.approve_port(port["id"], expected_version=port["version"] + 1)


def _staging_in_the_past(tour: Tour) -> object:
    return tour.store.stage_port(
        tour.open_port_id,
        rollout_percent=100,
        allow_list=[],
        trial_ends_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
        daily_launch_quota=None,
    )


CASES: dict[str, Case] = {
    # --- standards face: RFC 6749 §5.2 -----------------------------------------------------
    "invalid_client": Case(
        _wrong_client_secret, errors.InvalidClient, {"error": "invalid_client", "status_code": 401}
    ),
    "invalid_grant (unknown code)": Case(
        lambda t: t.host.exchange_code(
            code="not-a-code", redirect_uri=t.world.redirect_uri, code_verifier="v" * 64
        ),
        errors.InvalidGrant,
        {"error": "invalid_grant", "status_code": 400},
    ),
    "invalid_grant (code replayed)": Case(_code_twice, errors.InvalidGrant, {}),
    "invalid_grant (PKCE verifier)": Case(_wrong_verifier, errors.InvalidGrant, {}),
    "invalid_grant (refresh token reused)": Case(_refresh_twice, errors.InvalidGrant, {}),
    "invalid_token (userinfo)": Case(
        lambda t: t.host.userinfo("not-a-token"),
        errors.InvalidToken,
        {"error": "invalid_token", "status_code": 401},
    ),
    "insufficient_scope (userinfo with the client's own token)": Case(
        lambda t: t.host.userinfo(t.host.client_token()),
        errors.InsufficientScope,
        {"status_code": 403},
    ),
    "invalid_request (introspect without a token)": Case(
        lambda t: t.host.introspect(""), errors.InvalidRequest, {"status_code": 400}
    ),
    "unsupported_token_type (revoke)": Case(
        lambda t: t.host.revoke("some-token", token_type_hint="id_token"),
        errors.UnsupportedTokenType,
        {},
    ),
    "access_denied (the user said no)": Case(
        _denied, errors.AccessDenied, {"error": "access_denied"}
    ),
    "access_denied (the port is closed)": Case(_authorize_closed_port, errors.AccessDenied, {}),
    # --- mini-program face: errcode ---------------------------------------------------------
    "40001 invalid run ticket": Case(
        lambda t: _launch(t, run_ticket="not-a-ticket"),
        errors.InvalidCredential,
        {"errcode": 40001},
    ),
    "40013 invalid appid": Case(
        lambda t: _token_for(t, appid="wx0000000000000000", secret="x"),
        errors.InvalidAppId,
        {"errcode": 40013},
    ),
    "40125 invalid secret": Case(
        lambda t: _token_for(t, appid=t.world.appid, secret="not-the-secret"),
        errors.InvalidSecret,
        {"errcode": 40125},
    ),
    "40029 invalid code": Case(
        lambda t: t.store.code_to_session("not-a-code"), errors.InvalidCode, {"errcode": 40029}
    ),
    "40029 code used twice": Case(_code_used_twice, errors.InvalidCode, {"errcode": 40029}),
    "40226 blocked user": Case(_blocked_user, errors.BlockedUser, {"errcode": 40226}),
    "45009 launch quota spent": Case(_launch_quota_spent, errors.QuotaReached, {"errcode": 45009}),
    "45009 force_refresh too often": Case(
        _force_refresh_twice, errors.QuotaReached, {"errcode": 45009}
    ),
    "45011 too many code exchanges": Case(
        _exchange_rate_limited, errors.RateLimited, {"errcode": 45011}
    ),
    "40165 launch path not a page": Case(
        lambda t: _launch(t, path="/pages/secret"), errors.InvalidPagePath, {"errcode": 40165}
    ),
    "40165 URL link path not a page": Case(
        lambda t: t.store.generate_urllink(path="/pages/secret"),
        errors.InvalidPagePath,
        {"errcode": 40165},
    ),
    "40212 query with characters not allowed": Case(
        lambda t: _launch(t, query="colour=dark red"), errors.InvalidQuery, {"errcode": 40212}
    ),
    "47001 malformed data (appid missing)": Case(
        lambda t: _launch(t, appid=""), errors.MalformedData, {"errcode": 47001}
    ),
    "40097 invalid parameters (env_version)": Case(
        lambda t: t.store.generate_urllink(path="/pages/index", env_version="beta"),
        errors.InvalidParameters,
        {"errcode": 40097},
    ),
    "40097 invalid parameters (a link that is not ours)": Case(
        lambda t: t.store.query_urllink(f"{t.platform_url}/urllink/AAAAAAAAAAAAAAAAAAAAAA"),
        errors.InvalidParameters,
        {"errcode": 40097},
    ),
    "85401 URL link lifetime out of range": Case(
        lambda t: t.store.generate_urllink(path="/pages/index", expire_interval_days=31),
        errors.ExpiryOutOfRange,
        {"errcode": 85401},
    ),
    "89300 launch after the port closed": Case(
        _launch_after_close, errors.PortClosed, {"errcode": 89300, "reason": "port_closed"}
    ),
    "89300 jscode2session after the port closed": Case(
        _exchange_after_close, errors.PortClosed, {"errcode": 89300, "reason": "port_closed"}
    ),
    "89300 the user is outside the rollout": Case(
        _outside_rollout, errors.PortClosed, {"errcode": 89300, "reason": "not_in_rollout"}
    ),
    "40001 run ticket not covering the appid": Case(
        lambda t: _launch(t, appid=t.world.second_appid),
        errors.InvalidCredential,
        {"errcode": 40001},
    ),
    # --- governance face: the ports API ------------------------------------------------------
    "port_not_found": Case(
        lambda t: t.host.get_port(999_999),
        errors.PortNotFound,
        {"error": "port_not_found", "status_code": 404},
    ),
    "illegal_transition": Case(
        lambda t: t.host.withdraw_port(t.open_port_id),
        errors.IllegalTransition,
        {"error": "illegal_transition", "status_code": 409},
    ),
    "stale_version": Case(_stale_version, errors.StaleVersion, {"status_code": 409}),
    "invalid_staging": Case(_staging_in_the_past, errors.InvalidStaging, {"status_code": 400}),
    "invalid_request (unknown state filter)": Case(
        lambda t: t.host.list_ports(state="ajar"), errors.InvalidPortRequest, {"status_code": 400}
    ),
    "invalid_request (empty reason)": Case(
        lambda t: t.jd.apply_port(appid=t.world.appid, reason=""),
        errors.InvalidPortRequest,
        {"status_code": 400},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_platform_error_raises_its_own_class(name: str, tour: Tour) -> None:
    case = CASES[name]
    with pytest.raises(errors.MiniportError) as raised:
        case.provoke(tour)
    assert type(raised.value) is case.raises, repr(raised.value)
    for attribute, expected in case.carries.items():
        assert getattr(raised.value, attribute) == expected, attribute


# --- codes the SDK never provokes itself still map, from the platform's real answers ---------


def test_a_wrong_grant_type_from_the_platform_maps_to_invalid_grant_type(
    platform_url: str,
) -> None:
    answer = httpx.get(f"{platform_url}/cgi-bin/token", params={"grant_type": "password"})
    with pytest.raises(errors.InvalidGrantType) as raised:
        responses.mp_object(answer)
    assert raised.value.errcode == 40002


def test_a_port_closed_for_a_suspended_host_names_that_reason() -> None:
    error = errors.api_error(89300, "port closed: host_suspended")
    assert isinstance(error, errors.PortClosed) and error.reason == "host_suspended"


@pytest.mark.parametrize(
    ("build", "family"),
    [
        (lambda: errors.api_error(61234, "something new"), errors.ApiError),
        (lambda: errors.oauth_error("brand_new_error", "…", 400), errors.OAuthError),
        (lambda: errors.port_api_error("brand_new_error", "…", 400), errors.PortApiError),
    ],
)
def test_unknown_codes_map_to_their_family_base_class(
    build: Callable[[], errors.MiniportError], family: type[errors.MiniportError]
) -> None:
    error = build()
    assert type(error) is family
