"""``/wxa/report_order``: a mini program reports paid orders; the platform attributes each to
the host of the buyer's last launch, records it once, and refuses bad reports clearly.

Every test runs on SQLite and on PostgreSQL (where two racing reports really do meet at the
unique constraint instead of queueing for SQLite's write lock)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from miniport.common.migrate import upgrade
from miniport.platform.miniprogram_api.models import LaunchCode, OrderReport
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from tests.conftest import make_platform_settings
from tests.factories import open_port, run_ticket
from tests.platform.miniprogram_api.conftest import MiniProgramApi, MpWorld, errcode


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def platform_settings(
    request: pytest.FixtureRequest, tmp_path: Path, platform_port: int
) -> PlatformSettings:
    database = {}
    if request.param == "postgres":
        database = {"database_url": request.getfixturevalue("postgres_url"), "bus_url": "inprocess"}
    settings = make_platform_settings(
        tmp_path / "platform", base_url=f"http://127.0.0.1:{platform_port}", **database
    )
    upgrade("platform", settings.database_url)
    return settings


@pytest.fixture
def mp_token(api: MiniProgramApi, mp_world: MpWorld) -> str:
    return api.token(mp_world.appid, mp_world.app_secret)


def _now() -> int:
    return int(dt.datetime.now(dt.UTC).timestamp())


def _report(api: MiniProgramApi, token: str | None, body: Any) -> httpx.Response:
    params = {"access_token": token} if token is not None else {}
    return api.client.post("/wxa/report_order", params=params, json=body)


def _order(openid: str, order_id: str, **extra: Any) -> dict[str, Any]:
    return {"openid": openid, "order_id": order_id, "amount": 1_280_000, "paid_time": _now()} | (
        extra
    )


def _openid_through(api: MiniProgramApi, mp_world: MpWorld, ticket: str) -> str:
    """Launch with ``ticket``'s host and exchange the code, as the store's entry does."""
    session = api.jscode2session(
        mp_world.appid, mp_world.app_secret, api.code(ticket, mp_world.appid)
    )
    assert session.status_code == 200 and "openid" in session.json(), session.text
    openid: str = session.json()["openid"]
    return openid


def _rows(runtime: PlatformRuntime) -> list[Any]:
    with runtime.sessions() as session:
        return list(
            session.execute(
                select(
                    OrderReport.order_id,
                    OrderReport.client_id,
                    OrderReport.port_id,
                    OrderReport.amount,
                    OrderReport.currency,
                ).order_by(OrderReport.id)
            ).all()
        )


def test_an_order_goes_to_the_host_of_the_buyers_last_launch_before_it_was_paid(
    api: MiniProgramApi,
    mp_world: MpWorld,
    mp_token: str,
    ticket: str,
    platform_url: str,
    runtime: PlatformRuntime,
) -> None:
    openid = _openid_through(api, mp_world, ticket)
    answer = _report(api, mp_token, _order(openid, "GUCCI-0001"))
    assert errcode(answer) == 0
    assert answer.json() == {
        "errcode": 0,
        "errmsg": "ok",
        "order_id": "GUCCI-0001",
        "host_client_id": mp_world.client_id,
        "duplicate": False,
    }

    # Two hours ago the buyer came through 小红书; now through 京东.
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(LaunchCode)
            .where(LaunchCode.openid == openid)
            .values(used_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
        )
        jd_port = open_port(session, client_id=mp_world.other_client_id, appid=mp_world.appid)
    jd = dataclasses.replace(
        mp_world,
        client_id=mp_world.other_client_id,
        client_secret=mp_world.other_client_secret,
        redirect_uri="http://127.0.0.1:9/jd/callback",
    )
    assert _openid_through(api, mp_world, run_ticket(platform_url, jd)) == openid

    paid_now = _report(api, mp_token, _order(openid, "GUCCI-0002"))
    paid_an_hour_ago = _report(api, mp_token, _order(openid, "GUCCI-0003", paid_time=_now() - 3600))
    assert paid_now.json()["host_client_id"] == mp_world.other_client_id
    assert paid_an_hour_ago.json()["host_client_id"] == mp_world.client_id
    rows = _rows(runtime)
    assert [(r.order_id, r.client_id, r.port_id) for r in rows] == [
        ("GUCCI-0001", mp_world.client_id, mp_world.port_id),
        ("GUCCI-0002", mp_world.other_client_id, jd_port),
        ("GUCCI-0003", mp_world.client_id, mp_world.port_id),
    ]
    assert {(r.amount, r.currency) for r in rows} == {(1_280_000, "CNY")}


def test_an_order_of_a_buyer_who_never_came_through_a_host_is_kept_unattributed(
    api: MiniProgramApi, mp_token: str, runtime: PlatformRuntime
) -> None:
    answer = _report(
        api, mp_token, _order("oNeverLaunchedThroughAHost0000", "LV-7", currency="EUR")
    )
    assert errcode(answer) == 0 and answer.json()["host_client_id"] is None
    assert [(r.order_id, r.client_id, r.currency) for r in _rows(runtime)] == [
        ("LV-7", None, "EUR")
    ]


def test_reports_are_idempotent_by_order_id(
    api: MiniProgramApi, mp_world: MpWorld, mp_token: str, ticket: str, runtime: PlatformRuntime
) -> None:
    openid = _openid_through(api, mp_world, ticket)
    body = _order(openid, "GUCCI-0100")
    first = _report(api, mp_token, body)
    again = _report(api, mp_token, body)
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert again.json()["host_client_id"] == mp_world.client_id

    # The same order id with another amount: one of the two reports is wrong; refused, and
    # the first stays as it was.
    other = _report(api, mp_token, body | {"amount": 1})
    assert errcode(other) == 40097 and "already reported" in other.json()["errmsg"]
    assert [(r.order_id, r.amount) for r in _rows(runtime)] == [("GUCCI-0100", 1_280_000)]


def test_reports_of_one_order_racing_record_it_once(
    platform_url: str, mp_token: str, runtime: PlatformRuntime
) -> None:
    senders, rounds = 12, 10
    barrier = threading.Barrier(senders)

    def send(body: dict[str, Any]) -> dict[str, Any]:
        with httpx.Client(base_url=platform_url, timeout=30) as client:
            client.get("/.well-known/openid-configuration")  # connected before the start
            barrier.wait()
            answer = client.post("/wxa/report_order", params={"access_token": mp_token}, json=body)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    with ThreadPoolExecutor(max_workers=senders) as pool:
        for round_ in range(rounds):
            body = _order("oRacingBuyer000000000000000000", f"RACE-{round_}")
            answers = list(pool.map(send, [body] * senders))
            assert {a["errcode"] for a in answers} == {0}, answers
            assert sum(not a["duplicate"] for a in answers) == 1
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OrderReport)) == rounds


def test_another_mini_programs_orders_do_not_meet_this_ones(
    api: MiniProgramApi, mp_world: MpWorld, mp_token: str, runtime: PlatformRuntime
) -> None:
    second_token = api.token(mp_world.second_appid, mp_world.second_app_secret)
    body = _order("oSameOrderIdTwoStores000000000", "SHARED-1")
    assert _report(api, mp_token, body).json()["duplicate"] is False
    assert _report(api, second_token, body).json()["duplicate"] is False
    with runtime.sessions() as session:
        appids = session.scalars(select(OrderReport.appid).order_by(OrderReport.id)).all()
    assert appids == [mp_world.appid, mp_world.second_appid]


# Each body gets a valid paid_time unless its case is about paid_time.
BAD_REPORTS: list[tuple[str, Any, int]] = [
    ("openid missing", {"order_id": "A1", "amount": 1}, 47001),
    ("order_id missing", {"openid": "o1", "amount": 1}, 47001),
    ("openid not a string", {"openid": 7, "order_id": "A1", "amount": 1}, 40097),
    ("openid with spaces", {"openid": "o 1", "order_id": "A1", "amount": 1}, 40097),
    ("order_id with a slash", {"openid": "o1", "order_id": "A/1", "amount": 1}, 40097),
    ("order_id too long", {"openid": "o1", "order_id": "A" * 65, "amount": 1}, 40097),
    ("amount missing", {"openid": "o1", "order_id": "A1"}, 40097),
    ("amount a string", {"openid": "o1", "order_id": "A1", "amount": "12"}, 40097),
    ("amount a boolean", {"openid": "o1", "order_id": "A1", "amount": True}, 40097),
    ("amount a fraction", {"openid": "o1", "order_id": "A1", "amount": 1.5}, 40097),
    ("amount negative", {"openid": "o1", "order_id": "A1", "amount": -1}, 40097),
    ("amount absurd", {"openid": "o1", "order_id": "A1", "amount": 10**13}, 40097),
    (
        "currency lower case",
        {"openid": "o1", "order_id": "A1", "amount": 1, "currency": "cny"},
        40097,
    ),
    ("paid_time missing", {"openid": "o1", "order_id": "A1", "amount": 1}, 40097),
    (
        "paid_time a string",
        {"openid": "o1", "order_id": "A1", "amount": 1, "paid_time": "now"},
        40097,
    ),
]


@pytest.mark.parametrize(("case", "body", "code"), BAD_REPORTS, ids=[c for c, _, _ in BAD_REPORTS])
def test_bad_reports_are_refused_with_their_errcode(
    api: MiniProgramApi, mp_token: str, runtime: PlatformRuntime, case: str, body: Any, code: int
) -> None:
    if not case.startswith("paid_time"):
        body = body | {"paid_time": _now()}
    assert errcode(_report(api, mp_token, body)) == code, case
    assert _rows(runtime) == []


def test_paid_time_must_be_recent_and_not_ahead(
    api: MiniProgramApi, mp_token: str, runtime: PlatformRuntime
) -> None:
    day = 86400
    for paid_time, expected in (
        (_now() - 31 * day, 40097),
        (_now() + 3600, 40097),
        (_now() - 29 * day, 0),
        (_now() + 60, 0),  # a store clock a minute ahead is tolerated
    ):
        body = _order("oClockBuyer0000000000000000000", f"T-{paid_time}", paid_time=paid_time)
        assert errcode(_report(api, mp_token, body)) == expected, paid_time
    assert len(_rows(runtime)) == 2


def test_a_report_needs_the_mini_programs_access_token(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    body = _order("oNoToken000000000000000000000", "X-1")
    assert errcode(_report(api, None, body)) == 40001
    assert errcode(_report(api, "not-a-token", body)) == 40001
    # A host's run ticket is no mini-program access token.
    assert errcode(_report(api, ticket, body)) == 40001
    not_json = api.client.post(
        "/wxa/report_order",
        params={"access_token": api.token(mp_world.appid, mp_world.app_secret)},
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert errcode(not_json) == 47001
    assert _rows(runtime) == []
