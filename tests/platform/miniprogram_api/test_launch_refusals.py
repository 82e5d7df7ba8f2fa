"""Every reason a launch (or a later code exchange) is refused, with its errcode."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import delete, select, update

from miniport.common.clock import utcnow
from miniport.common.tokens import digest
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.ports.lifecycle import Reason, close, set_staging, suspend_host
from miniport.platform.ports.models import DailyCounter, Port
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.registry.models import MiniProgram
from miniport.platform.runtime import PlatformRuntime
from tests.factories import OPERATOR, PASSWORD, run_ticket
from tests.platform.miniprogram_api.conftest import USER_KEY, MiniProgramApi, MpWorld, errcode
from tests.support.oidc import AuthorizeParams, Browser, query_of


def _stage(runtime: PlatformRuntime, port_id: int, **changes: object) -> None:
    staging: dict[str, object] = {
        "rollout_percent": 100,
        "allow_list": [],
        "trial_ends_at": None,
        "daily_launch_quota": None,
    }
    staging.update(changes)
    with runtime.sessions() as session:
        set_staging(session, port_id, actor=OPERATOR, now=utcnow(), **staging)  # type: ignore[arg-type]
        session.commit()


def _close(runtime: PlatformRuntime, port_id: int) -> None:
    with runtime.sessions() as session:
        close(
            session,
            port_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.POLICY, "trial over"),
            now=utcnow(),
        )
        session.commit()


# --- the run ticket -----------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "not-a-ticket", "x" * 43])
def test_a_missing_or_unknown_ticket_is_40001(
    api: MiniProgramApi, mp_world: MpWorld, token: str | None
) -> None:
    assert errcode(api.launch(token, mp_world.appid)) == 40001


def test_a_refresh_token_is_not_a_run_ticket(
    api: MiniProgramApi, mp_world: MpWorld, platform_url: str
) -> None:
    params = AuthorizeParams.new(mp_world.client_id, mp_world.redirect_uri, mp_world.appid)
    browser = Browser(platform_url)
    back = browser.authorize(params.query(), username=mp_world.username, password=PASSWORD)
    browser.close()
    tokens = httpx.post(
        f"{platform_url}/token",
        data={
            "grant_type": "authorization_code",
            "code": query_of(back.headers["location"])["code"],
            "redirect_uri": mp_world.redirect_uri,
            "code_verifier": params.verifier,
        },
        auth=(mp_world.client_id, mp_world.client_secret),
    ).json()
    response = api.launch(tokens["refresh_token"], mp_world.appid)
    assert errcode(response) == 40001


def test_a_host_token_without_a_user_is_not_a_run_ticket(
    api: MiniProgramApi, mp_world: MpWorld, platform_url: str
) -> None:
    answer = httpx.post(
        f"{platform_url}/token",
        data={"grant_type": "client_credentials"},
        auth=(mp_world.client_id, mp_world.client_secret),
    ).json()
    response = api.launch(answer["access_token"], mp_world.appid)
    assert errcode(response) == 40001 and "run ticket" in response.json()["errmsg"]


def test_a_ticket_that_does_not_cover_the_appid_is_40001(
    api: MiniProgramApi, mp_world: MpWorld, platform_url: str
) -> None:
    flagship_only = run_ticket(platform_url, mp_world, [mp_world.appid])
    response = api.launch(flagship_only, mp_world.second_appid)
    assert errcode(response) == 40001
    assert mp_world.second_appid in response.json()["errmsg"]


def test_an_unregistered_appid_the_ticket_covers_is_40013(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    # A ticket cannot name an unknown appid, so the mini program goes away after the grant.
    with runtime.sessions() as session, session.begin():
        session.execute(delete(MiniProgram).where(MiniProgram.appid == mp_world.second_appid))
    runtime.on_change("registry")
    assert errcode(api.launch(ticket, mp_world.second_appid)) == 40013


# --- path and query -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/pages/index", None, 0),
        ("pages/product", None, 0),  # the leading slash may be left out
        ("/pages/product?id=1&size=M", "ref=note", 0),
        ("/pages/admin", None, 40165),
        ("/pages/index/../admin", None, 40165),
        ("/", None, 40165),
        ("/pages/index", "q=" + "a" * 1030, 40212),
        ("/pages/index", "name=古驰", 40212),  # must arrive percent-encoded
        ("/pages/index", "a=1 b=2", 40212),
        ("/pages/index?x=<script>", None, 40212),
        ("/pages/index", "name=%E5%8F%A4", 0),
    ],
)
def test_only_registered_pages_and_clean_queries_launch(
    api: MiniProgramApi,
    mp_world: MpWorld,
    ticket: str,
    path: str,
    query: str | None,
    expected: int,
) -> None:
    extra = {"query": query} if query is not None else {}
    assert errcode(api.launch(ticket, mp_world.appid, path, **extra)) == expected


# --- the port decision --------------------------------------------------------------------


def test_a_closed_port_is_89300_with_its_reason(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    _close(runtime, mp_world.port_id)
    response = api.launch(ticket, mp_world.appid)
    assert errcode(response) == 89300
    assert response.json()["errmsg"] == "port closed: port_closed"


def test_a_suspended_host_is_89300_host_suspended(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    code = api.code(ticket, mp_world.appid)
    with runtime.sessions() as session:
        suspend_host(
            session,
            client_id=mp_world.client_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.SECURITY, "abuse"),
            now=utcnow(),
        )
        session.commit()
    for appid in (mp_world.appid, mp_world.second_appid):
        response = api.launch(ticket, appid)
        assert errcode(response) == 89300
        assert response.json()["errmsg"] == "port closed: host_suspended"
    exchanged = api.jscode2session(mp_world.appid, mp_world.app_secret, code)
    assert errcode(exchanged) == 89300 and "host_suspended" in exchanged.json()["errmsg"]


def test_a_user_outside_the_rollout_is_89300_not_in_rollout(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    _stage(runtime, mp_world.port_id, rollout_percent=0, allow_list=["tester-1"])
    response = api.launch(ticket, mp_world.appid)
    assert errcode(response) == 89300
    assert response.json()["errmsg"] == "port closed: not_in_rollout"
    # The host's key for an allow-listed user opens the port for that user.
    assert errcode(api.launch(ticket, mp_world.appid, user_key="tester-1")) == 0


def test_an_ended_trial_is_89300_trial_ended_for_launch_and_exchange(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    _stage(runtime, mp_world.port_id, trial_ends_at=utcnow() + dt.timedelta(days=1))
    code = api.code(ticket, mp_world.appid)
    # Time passes: the trial's end is now behind us (the expiry job has not run yet).
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(Port)
            .where(Port.id == mp_world.port_id)
            .values(trial_ends_at=utcnow() - dt.timedelta(seconds=1))
        )
    runtime.ports.reload()
    response = api.launch(ticket, mp_world.appid)
    assert errcode(response) == 89300 and response.json()["errmsg"] == "port closed: trial_ended"
    exchanged = api.jscode2session(mp_world.appid, mp_world.app_secret, code)
    assert errcode(exchanged) == 89300 and "trial_ended" in exchanged.json()["errmsg"]


def test_a_close_not_yet_in_the_snapshot_still_refuses_the_launch(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    # The row says closed while this worker's snapshot still says open (a close committing
    # right now, or announced by another machine a moment from now): the launch re-reads
    # the port inside its own transaction and refuses.
    with runtime.sessions() as session, session.begin():
        session.execute(update(Port).where(Port.id == mp_world.port_id).values(state="closed"))
    assert runtime.ports.current().rule(mp_world.client_id, mp_world.appid).state == "open"
    response = api.launch(ticket, mp_world.appid)
    assert errcode(response) == 89300 and response.json()["errmsg"] == "port closed: port_closed"


def test_an_unrevoked_code_of_a_closed_port_is_refused_at_exchange(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    code = api.code(ticket, mp_world.appid)
    _close(runtime, mp_world.port_id)
    # Undo the revocation, as if the close had not reached the code yet: the snapshot alone
    # must refuse the exchange.
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(LaunchCode).where(LaunchCode.digest == digest(code)).values(revoked_at=None)
        )
    response = api.jscode2session(mp_world.appid, mp_world.app_secret, code)
    assert errcode(response) == 89300
    with runtime.sessions() as session:
        row = session.get(LaunchCode, digest(code))
        assert row is not None and row.used_at is None  # refused, not consumed


# --- the daily launch quota ---------------------------------------------------------------


def test_concurrent_launches_never_exceed_the_daily_quota(
    platform_url: str, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    _stage(runtime, mp_world.port_id, daily_launch_quota=3)

    def launch(client: httpx.Client) -> int:
        response = client.post(
            "/wxa/launch",
            params={"access_token": ticket},
            json={"appid": mp_world.appid, "path": "/pages/index", "user_key": USER_KEY},
        )
        return errcode(response)

    with httpx.Client(base_url=platform_url, timeout=30) as client:
        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(lambda _: launch(client), range(30)))
    assert sorted(answers) == [0, 0, 0] + [45009] * 27
    with runtime.sessions() as session:
        counted = session.scalars(
            select(DailyCounter.count).where(DailyCounter.key == f"launch:port:{mp_world.port_id}")
        ).all()
    assert counted == [3]
    # The quota is the port's: the other mini program's port launches on.
    with httpx.Client(base_url=platform_url, timeout=30) as client:
        other = client.post(
            "/wxa/launch",
            params={"access_token": ticket},
            json={"appid": mp_world.second_appid, "path": "/pages/index", "user_key": USER_KEY},
        )
    assert errcode(other) == 0


def test_a_zero_quota_refuses_every_launch(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    _stage(runtime, mp_world.port_id, daily_launch_quota=0)
    assert errcode(api.launch(ticket, mp_world.appid)) == 45009


def test_a_port_that_no_longer_exists_is_89300_no_port(
    api: MiniProgramApi, mp_world: MpWorld, ticket: str, runtime: PlatformRuntime
) -> None:
    with runtime.sessions() as session, session.begin():
        session.execute(delete(Port).where(Port.id == mp_world.port_id))
    runtime.ports.reload()
    response = api.launch(ticket, mp_world.appid)
    assert errcode(response) == 89300 and response.json()["errmsg"] == "port closed: no_port"
