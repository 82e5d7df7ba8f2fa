"""Every port transition keeps who made it, when, and why, exactly as the caller gave them.

The times are injected, fixed and in the past, with microseconds and one in another UTC
offset: a transition stamped with the wall clock, rounded, or shifted by an offset would not
compare equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import select

from miniport.platform.ports import lifecycle
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.models import PortTransition
from miniport.platform.ports.states import Actor, ActorKind, PortState, ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.ports.conftest import OtherBrand

T0 = dt.datetime(2026, 5, 4, 9, 15, 0, 123456, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes, microseconds=minutes)


def _why(reason: Reason) -> tuple[str, str]:
    return reason.category, reason.text


Row = tuple[int, str | None, str, str, str, str, str, dt.datetime]


def _rows(runtime: PlatformRuntime, port_ids: list[int]) -> list[Row]:
    with runtime.sessions() as session:
        return [
            (
                row.port_id,
                row.from_state,
                row.to_state,
                row.actor_kind,
                row.actor_id,
                row.reason_category,
                row.reason_text,
                row.at,
            )
            for row in session.scalars(
                select(PortTransition)
                .where(PortTransition.port_id.in_(port_ids))
                .order_by(PortTransition.id)
            )
        ]


def test_each_transition_stores_its_actor_time_and_reason_as_given(
    runtime: PlatformRuntime, world: World, other_brand: OtherBrand
) -> None:
    # JD has no port yet: every row below comes from this sequence.
    jd = Actor(ActorKind.HOST, world.other_client_id)
    gucci = Actor(ActorKind.BRAND, str(world.brand_id))
    ops_li = Actor(ActorKind.OPERATOR, "ops-li")
    ops_zhao = Actor(ActorKind.OPERATOR, "ops-zhao")

    def step(work: Callable[..., object], *args: object, **kwargs: object) -> None:
        with runtime.sessions() as session, session.begin():
            work(session, *args, **kwargs)

    def apply(appid: str, text: str, now: dt.datetime) -> int:
        with runtime.sessions() as session, session.begin():
            return lifecycle.apply_for_port(
                session,
                client_id=world.other_client_id,
                appid=appid,
                reason_text=text,
                actor=jd,
                now=now,
            ).id

    store = apply(world.appid, "Gucci's store in JD search", _at(1))
    approved = Reason(ReasonCategory.POLICY, "meets our retail partner policy")
    # The same instant as _at(2), told in UTC+8.
    step(lifecycle.approve, store, actor=gucci, reason=approved, now=_at(2).astimezone(SHANGHAI))
    closed = Reason(ReasonCategory.SECURITY, "counterfeit listings reported")
    step(lifecycle.close, store, actor=ops_li, reason=closed, now=_at(3))
    reopened = Reason(ReasonCategory.PARTNER_REQUEST, "listings cleaned up, checked by hand")
    step(lifecycle.reopen, store, actor=ops_zhao, reason=reopened, now=_at(4))

    beauty = apply(world.second_appid, "beauty counters on JD", _at(5))
    rejected = Reason(ReasonCategory.OTHER, "we do not sell beauty through JD")
    step(lifecycle.reject, beauty, actor=gucci, reason=rejected, now=_at(6))

    prada = apply(other_brand.appid, "Prada in JD search", _at(7))
    withdrawn = Reason(ReasonCategory.PARTNER_REQUEST, "applied for the wrong store")
    step(lifecycle.withdraw, prada, actor=jd, reason=withdrawn, now=_at(8))

    S, K = PortState, ActorKind
    request = ReasonCategory.REQUEST
    jd_id, gucci_id = world.other_client_id, str(world.brand_id)
    assert _rows(runtime, [store, beauty, prada]) == [
        (store, None, S.REQUESTED, K.HOST, jd_id, request, "Gucci's store in JD search", _at(1)),
        (store, S.REQUESTED, S.OPEN, K.BRAND, gucci_id, *_why(approved), _at(2)),
        (store, S.OPEN, S.CLOSED, K.OPERATOR, "ops-li", *_why(closed), _at(3)),
        (store, S.CLOSED, S.OPEN, K.OPERATOR, "ops-zhao", *_why(reopened), _at(4)),
        (beauty, None, S.REQUESTED, K.HOST, jd_id, request, "beauty counters on JD", _at(5)),
        (beauty, S.REQUESTED, S.REJECTED, K.BRAND, gucci_id, *_why(rejected), _at(6)),
        (prada, None, S.REQUESTED, K.HOST, jd_id, request, "Prada in JD search", _at(7)),
        (prada, S.REQUESTED, S.WITHDRAWN, K.HOST, jd_id, *_why(withdrawn), _at(8)),
    ]
    # Handed back in UTC, whatever offset the caller's clock spoke in.
    assert all(row[-1].utcoffset() == dt.timedelta(0) for row in _rows(runtime, [store]))
