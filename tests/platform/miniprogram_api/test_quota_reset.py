"""A port's daily launch quota is counted per UTC day: spent just before midnight UTC, it is
back just after, whatever UTC offset the time was told in.

The launch runs through the same two domain steps the ``/wxa/launch`` route runs
(``plan_launch``, then ``issue_code`` in a write transaction), with the time injected through
``ApiContext.now``, which the route fills from the clock.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from miniport.platform.miniprogram_api import launch
from miniport.platform.miniprogram_api.context import ApiContext
from miniport.platform.miniprogram_api.errors import QuotaReached
from miniport.platform.miniprogram_api.launch import LaunchRequest
from miniport.platform.oauth import token_store
from miniport.platform.ports.lifecycle import set_staging
from miniport.platform.ports.models import DailyCounter
from miniport.platform.runtime import PlatformRuntime
from tests.factories import OPERATOR
from tests.platform.miniprogram_api.conftest import USER_KEY, MpWorld

DAY = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)  # midnight UTC ends it
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
NEW_YORK = dt.timezone(dt.timedelta(hours=-5), "America/New_York")  # EST: DST starts on 8 March


def _utc(hour: int, minute: int, second: int = 0, *, days: int = 0) -> dt.datetime:
    return DAY + dt.timedelta(days=days, hours=hour, minutes=minute, seconds=second)


def _with_quota(runtime: PlatformRuntime, world: MpWorld, quota: int) -> str:
    """Stage the port's daily quota and issue its user a run ticket, ten minutes before
    midnight (a ticket lives two hours: long enough for every launch below)."""
    issued = _utc(23, 50)
    with runtime.sessions() as session, session.begin():
        set_staging(
            session,
            world.port_id,
            actor=OPERATOR,
            rollout_percent=100,
            allow_list=[],
            trial_ends_at=None,
            daily_launch_quota=quota,
            now=issued,
        )
        return token_store.issue(
            session,
            kind=token_store.ACCESS,
            family="quota-reset",
            client_id=world.client_id,
            user_id=world.user_id,
            scope="openid miniprogram",
            authorization_details=[
                {"type": "miniprogram_run", "appid": world.appid, "path": "/pages/index"}
            ],
            auth_time=issued,
            now=issued,
        )


def _launch(runtime: PlatformRuntime, world: MpWorld, ticket: str, now: dt.datetime) -> str:
    """One launch at ``now``; its code, or the refusal raised."""
    context = ApiContext(
        mini_programs=runtime.mp_directory,
        ports=runtime.ports,
        run_tickets=runtime.tokens,
        read_engine=runtime.read_engine,
        access_tokens=runtime.mp_tokens,
        identifiers=runtime.identifiers,
        exchange_limiter=runtime.mp_exchange_limiter,
        base_url=runtime.settings.base_url,
        now=now,
    )
    request = LaunchRequest(appid=world.appid, path="/pages/index", query=None, user_key=USER_KEY)
    plan = launch.plan_launch(context, access_token=ticket, request=request)
    with runtime.sessions() as session, session.begin():
        return launch.issue_code(session.connection(), plan).code


def _refused(runtime: PlatformRuntime, world: MpWorld, ticket: str, now: dt.datetime) -> None:
    with pytest.raises(QuotaReached) as refusal:
        _launch(runtime, world, ticket, now)
    assert refusal.value.errcode == 45009


def _counted(runtime: PlatformRuntime, world: MpWorld) -> dict[str, int]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(DailyCounter.day, DailyCounter.count).where(
                DailyCounter.key == f"launch:port:{world.port_id}"
            )
        )
        return dict(rows.all())


def test_a_quota_spent_at_23_59_utc_is_back_at_00_00_30(
    runtime: PlatformRuntime, mp_world: MpWorld
) -> None:
    ticket = _with_quota(runtime, mp_world, 2)

    _launch(runtime, mp_world, ticket, _utc(23, 59, 0))
    _launch(runtime, mp_world, ticket, _utc(23, 59, 30))
    _refused(runtime, mp_world, ticket, _utc(23, 59, 59))

    assert _launch(runtime, mp_world, ticket, _utc(0, 0, 30, days=1))
    assert _counted(runtime, mp_world) == {"2026-03-01": 2, "2026-03-02": 1}


def test_a_time_in_another_offset_counts_by_its_utc_day(
    runtime: PlatformRuntime, mp_world: MpWorld
) -> None:
    ticket = _with_quota(runtime, mp_world, 1)
    _launch(runtime, mp_world, ticket, _utc(23, 59, 0))

    # 07:59:50 on 2 March in Shanghai is still 1 March in UTC: spent.
    shanghai = _utc(23, 59, 50).astimezone(SHANGHAI)
    assert shanghai.date() == dt.date(2026, 3, 2)
    _refused(runtime, mp_world, ticket, shanghai)

    # 19:00:30 on 1 March in New York is already 2 March in UTC: a fresh quota.
    new_york = _utc(0, 0, 30, days=1).astimezone(NEW_YORK)
    assert new_york.date() == dt.date(2026, 3, 1)
    assert _launch(runtime, mp_world, ticket, new_york)

    # ...which that launch spent, told in whatever offset.
    _refused(runtime, mp_world, ticket, _utc(0, 0, 40, days=1).astimezone(SHANGHAI))
    assert _counted(runtime, mp_world) == {"2026-03-01": 1, "2026-03-02": 1}
