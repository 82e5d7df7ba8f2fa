"""The authorization endpoint refuses a run the platform would not launch."""

from __future__ import annotations

from miniport.common.clock import utcnow
from miniport.platform.ports.lifecycle import Reason, close, find_port, resume_host, suspend_host
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from tests.factories import OPERATOR, PASSWORD, World
from tests.support.oidc import AuthorizeParams, Browser, query_of


def _close(runtime: PlatformRuntime, world: World) -> None:
    with runtime.sessions() as session, session.begin():
        port = find_port(session, client_id=world.client_id, appid=world.appid)
        assert port is not None
        close(
            session,
            port.id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.POLICY, "trial over"),
            now=utcnow(),
        )


def test_closed_port_gets_access_denied(
    browser: Browser,
    world: World,
    params: AuthorizeParams,
    runtime: PlatformRuntime,
    platform_url: str,
) -> None:
    _close(runtime, world)
    back = browser.client.get("/authorize", params=params.query())
    answer = query_of(back.headers["location"])
    assert answer["error"] == "access_denied"
    assert "port_closed" in answer["error_description"]
    assert answer["iss"] == platform_url


def test_a_suspended_host_gets_access_denied_for_every_port(
    browser: Browser,
    world: World,
    params: AuthorizeParams,
    runtime: PlatformRuntime,
    platform_url: str,
) -> None:
    with runtime.sessions() as session, session.begin():
        suspend_host(
            session,
            client_id=world.client_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.SECURITY, "abuse report"),
            now=utcnow(),
        )
    # Both of the host's ports stay open as ports; the suspension alone cuts them off.
    second = AuthorizeParams.new(world.client_id, world.redirect_uri, world.second_appid)
    for appid, query in ((world.appid, params.query()), (world.second_appid, second.query())):
        back = browser.client.get("/authorize", params=query)
        assert back.headers["location"].startswith(world.redirect_uri)
        answer = query_of(back.headers["location"])
        assert answer["error"] == "access_denied"
        assert answer["error_description"] == (
            f"the platform does not allow this host app to run {appid} (host_suspended)"
        )
        assert answer["state"] == query["state"] and answer["iss"] == platform_url
    with runtime.sessions() as session, session.begin():
        resume_host(
            session,
            client_id=world.client_id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.OTHER, "resolved"),
            now=utcnow(),
        )
    resumed = browser.follow(browser.client.get("/authorize", params=params.query()))
    assert resumed.status_code == 200 and 'name="password"' in resumed.text


def test_port_closing_while_the_consent_page_is_open(
    browser: Browser, world: World, params: AuthorizeParams, runtime: PlatformRuntime
) -> None:
    page = browser.follow(browser.client.get("/authorize", params=params.query()))
    page = browser.sign_in(page, world.username, PASSWORD)
    assert 'name="decision"' in page.text
    _close(runtime, world)
    back = browser.answer_consent(page, "allow")
    assert query_of(back.headers["location"])["error"] == "access_denied"


def test_a_mini_program_without_a_port_is_refused(
    browser: Browser, world: World, runtime: PlatformRuntime
) -> None:
    params = AuthorizeParams.new(
        world.other_client_id, "http://127.0.0.1:9/jd/callback", world.appid
    )
    back = browser.client.get("/authorize", params=params.query())
    answer = query_of(back.headers["location"])
    assert answer["error"] == "access_denied" and "no_port" in answer["error_description"]
