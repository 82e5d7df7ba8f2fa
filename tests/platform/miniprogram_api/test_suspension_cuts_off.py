"""Suspending a host cuts off what it was handed, like a port close: its unused launch codes
and its run tickets are revoked, and they stay dead after the host is resumed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from miniport.common.clock import as_utc, utcnow
from miniport.common.tokens import digest
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.oauth.models import IssuedToken
from miniport.platform.ports.lifecycle import Reason, resume_host, suspend_host
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from tests.factories import OPERATOR, run_ticket
from tests.platform.miniprogram_api.conftest import MiniProgramApi, MpWorld, errcode


def _revoked_at(
    runtime: PlatformRuntime, model: type[LaunchCode] | type[IssuedToken], secret: str
) -> dt.datetime | None:
    """When the row behind a code or ticket (stored by digest only) was revoked."""
    with runtime.sessions() as session:
        (revoked_at,) = session.execute(
            select(model.revoked_at).where(model.digest == digest(secret))
        ).one()
    return None if revoked_at is None else as_utc(revoked_at)


def _suspend(runtime: PlatformRuntime, client_id: str, now: dt.datetime) -> None:
    with runtime.sessions() as session, session.begin():
        suspend_host(
            session,
            client_id=client_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.SECURITY, "abuse report"),
            now=now,
        )


def _resume(runtime: PlatformRuntime, client_id: str) -> None:
    with runtime.sessions() as session, session.begin():
        resume_host(
            session,
            client_id=client_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.OTHER, "report resolved"),
            now=utcnow(),
        )


def test_suspension_revokes_codes_and_tickets_for_good(
    api: MiniProgramApi,
    mp_world: MpWorld,
    ticket: str,
    runtime: PlatformRuntime,
    platform_url: str,
) -> None:
    code = api.code(ticket, mp_world.appid)
    second_code = api.code(ticket, mp_world.second_appid)
    used = api.code(ticket, mp_world.appid)
    assert "openid" in api.jscode2session(mp_world.appid, mp_world.app_secret, used).json()

    suspended_at = utcnow()
    _suspend(runtime, mp_world.client_id, suspended_at)

    # Revoked in the suspension's own transaction, under every port of the host.
    assert _revoked_at(runtime, LaunchCode, code) == suspended_at
    assert _revoked_at(runtime, LaunchCode, second_code) == suspended_at
    assert _revoked_at(runtime, IssuedToken, ticket) == suspended_at
    # A code already exchanged is history, not outstanding: it is left as it was.
    assert _revoked_at(runtime, LaunchCode, used) is None

    _resume(runtime, mp_world.client_id)

    # The host runs again, but what was handed out before the suspension stays dead.
    old_exchange = api.jscode2session(mp_world.appid, mp_world.app_secret, code)
    assert errcode(old_exchange) == 40029
    assert old_exchange.json()["errmsg"] == "invalid code: revoked when its port was closed"
    second_exchange = api.jscode2session(
        mp_world.second_appid, mp_world.second_app_secret, second_code
    )
    assert errcode(second_exchange) == 40029
    for appid in (mp_world.appid, mp_world.second_appid):
        assert errcode(api.launch(ticket, appid)) == 40001

    fresh = run_ticket(platform_url, mp_world, [mp_world.appid])
    launched = api.launch(fresh, mp_world.appid)
    assert errcode(launched) == 0
    exchanged = api.jscode2session(mp_world.appid, mp_world.app_secret, launched.json()["code"])
    assert exchanged.status_code == 200 and set(exchanged.json()) == {
        "openid",
        "session_key",
        "unionid",
    }
