"""A host user finds Gucci, taps its store, allows it on the platform and shops inside the
host app — against a real platform server; and the card follows the port's fate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import delete, select, update

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.tokens import digest
from miniport.host.container.models import RunTicket
from miniport.host.container.sealing import Sealer
from miniport.platform.consent.grants import revoke_grant
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.ports import lifecycle
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.webhooks.delivery import deliver_due
from tests.factories import OPERATOR
from tests.host.browsing import Browser, cards_of, entry_href, iframe_src
from tests.host.conftest import Joined


@pytest.fixture
def browser() -> Iterator[Browser]:
    opened = Browser()
    yield opened
    opened.close()


def search(browser: Browser, joined: Joined, query: str = "Gucci") -> httpx.Response:
    return browser.get(joined.host_url + "/search", params={"q": query})


def stored_tokens(joined: Joined) -> list[str]:
    """The tokens the host keeps, unsealed with its own key (what must never leak)."""
    engine = make_engine(joined.settings.database_url)
    sealer = Sealer(joined.settings.token_key())
    try:
        with make_sessionmaker(engine)() as session:
            tokens = []
            for ticket in session.scalars(select(RunTicket)):
                context = f"{ticket.user_id}:{ticket.appid}"
                tokens.append(sealer.open(ticket.sealed_access_token, context="access:" + context))
                if ticket.sealed_refresh_token:
                    tokens.append(
                        sealer.open(ticket.sealed_refresh_token, context="refresh:" + context)
                    )
            return tokens
    finally:
        engine.dispose()


def close_port(joined: Joined) -> None:
    with joined.runtime.sessions() as session, session.begin():
        port = lifecycle.find_port(
            session, client_id=joined.world.client_id, appid=joined.world.appid
        )
        assert port is not None
        lifecycle.close(
            session,
            port.id,
            actor=OPERATOR,
            reason=lifecycle.Reason(ReasonCategory.POLICY, "trial over"),
            now=utcnow(),
        )


def test_signed_in_search_shows_the_store_entry_on_the_gucci_card(
    joined: Joined, browser: Browser
) -> None:
    browser.sign_in_to_host(joined)

    page = browser.get(joined.host_url + "/search", params={"q": "Gucci"})

    cards = cards_of(page.text)
    assert list(cards)[0] == "gucci"  # the brand's card leads the results
    assert cards["gucci"] is True
    assert "GUCCI古驰线上旗舰店" in page.text and "小程序" in page.text


def test_signed_out_visitors_see_the_plain_card(joined: Joined, browser: Browser) -> None:
    page = browser.get(joined.host_url + "/search", params={"q": "古驰"})

    assert cards_of(page.text) == {"gucci": False}


def test_tapping_through_consent_opens_the_store_in_the_container(
    joined: Joined, browser: Browser
) -> None:
    browser.sign_in_to_host(joined)
    results = browser.get(joined.host_url + "/search", params={"q": "Gucci"})

    consent = browser.tap(results)
    assert str(consent.url).startswith(joined.platform_url)
    container = browser.through_platform(consent, joined)

    assert container.status_code == 200, container.text[:1000]
    assert str(container.url).startswith(joined.host_url + "/mp/run")
    assert 'data-testid="mp-container"' in container.text
    src = iframe_src(container.text)
    launch = urlsplit(src)
    assert src.startswith("http://127.0.0.1:9/mp/entry?")
    params = parse_qs(launch.query)
    assert params["scene"] == ["1069"]
    # The frame opens exactly the launch URL the platform issued: its code is a live one.
    with joined.runtime.sessions() as session:
        code = session.get(LaunchCode, digest(params["code"][0]))
        assert code is not None and code.client_id == joined.world.client_id
    # ✕ goes back to the search the user came from.
    assert 'data-testid="mp-close" ' in container.text or 'data-testid="mp-close"' in container.text
    assert 'href="/search?q=Gucci"' in container.text
    # The host's page may frame the store's origin, and nothing else.
    assert "frame-src http://127.0.0.1:9" in container.headers["content-security-policy"]


def test_tokens_never_reach_the_browser(joined: Joined, browser: Browser) -> None:
    browser.sign_in_to_host(joined)
    results = browser.get(joined.host_url + "/search", params={"q": "Gucci"})
    browser.through_platform(browser.tap(results), joined)

    tokens = stored_tokens(joined)
    assert len(tokens) == 2  # the run ticket and its refresh token, kept on the server
    host_responses = [r for r in browser.seen if str(r.url).startswith(joined.host_url)]
    assert host_responses
    for response in host_responses:
        exposed = response.text + str(response.headers) + str(response.url)
        for token in tokens:
            assert token not in exposed
    for cookie in browser.client.cookies.jar:
        assert cookie.value not in tokens


def test_a_second_tap_goes_straight_to_the_container(joined: Joined, browser: Browser) -> None:
    browser.sign_in_to_host(joined)
    results = browser.get(joined.host_url + "/search", params={"q": "Gucci"})
    first = browser.through_platform(browser.tap(results), joined)
    first_src = iframe_src(first.text)

    again = browser.tap(results, follow=False)

    assert again.status_code == 303
    assert again.headers["location"].startswith("/mp/run?")  # no trip to the platform
    container = browser.get(str(again.url.join(again.headers["location"])))
    assert iframe_src(container.text) != first_src  # a fresh single-use launch code


def test_a_forgotten_ticket_authorizes_again_without_asking(
    joined: Joined, browser: Browser
) -> None:
    browser.sign_in_to_host(joined)
    results = browser.get(joined.host_url + "/search", params={"q": "Gucci"})
    browser.through_platform(browser.tap(results), joined)
    engine = make_engine(joined.settings.database_url)
    with make_sessionmaker(engine)() as session, session.begin():
        session.execute(delete(RunTicket))
    engine.dispose()

    container = browser.tap(results)

    # The platform remembers the grant: straight back, no consent page in between.
    assert 'name="decision"' not in container.text
    assert 'data-testid="mp-frame"' in container.text


def test_declining_consent_explains_and_shows_the_plain_card(
    joined: Joined, browser: Browser
) -> None:
    browser.sign_in_to_host(joined)
    results = browser.get(joined.host_url + "/search", params={"q": "Gucci"})

    page = browser.through_platform(browser.tap(results), joined, decision="deny")

    assert page.status_code == 403
    assert str(page.url).startswith(joined.host_url)
    assert 'data-testid="notice"' in page.text
    assert "你未允许小红书以你的平台身份运行该小程序" in page.text
    assert cards_of(page.text) == {"gucci": False}
    assert stored_tokens(joined) == []


def test_a_close_webhook_turns_the_card_plain_at_once(joined: Joined, browser: Browser) -> None:
    browser.sign_in_to_host(joined)
    assert cards_of(search(browser, joined).text)["gucci"] is True  # now cached for 30 s

    close_port(joined)
    deliver_due(joined.runtime.sessions, utcnow(), cipher=joined.runtime.cipher)

    assert cards_of(search(browser, joined).text)["gucci"] is False


def test_a_port_closed_between_taps_names_the_reason(joined: Joined, browser: Browser) -> None:
    browser.sign_in_to_host(joined)
    results = browser.get(joined.host_url + "/search", params={"q": "Gucci"})
    browser.through_platform(browser.tap(results), joined)
    close_port(joined)

    # A tap on the page loaded before the close (its card still shows the entry).
    page = browser.tap(results)

    assert page.status_code == 403
    assert 'data-reason="port_closed"' in page.text
    assert "平台已关闭本应用打开该小程序的接入端口" in page.text


def test_a_launch_refused_by_the_platform_names_the_reason(
    joined: Joined, browser: Browser
) -> None:
    browser.sign_in_to_host(joined)
    results = browser.get(joined.host_url + "/search", params={"q": "Gucci"})
    container = browser.through_platform(browser.tap(results), joined)
    reload_url = str(container.url).replace("&fresh=1", "")
    close_port(joined)

    # Reloading the container launches again with the stored ticket: refused.
    page = browser.get(reload_url)

    assert page.status_code == 403
    assert 'data-testid="notice"' in page.text
    assert 'data-testid="mp-frame"' not in page.text


def test_the_webhook_endpoint_is_what_the_platform_calls(joined: Joined, browser: Browser) -> None:
    browser.sign_in_to_host(joined)
    search(browser, joined)
    close_port(joined)

    deadline = time.monotonic() + 10
    # Left to the platform's own delivery worker this time.
    while cards_of(search(browser, joined).text)["gucci"]:
        assert time.monotonic() < deadline, "the close never reached the host"
        time.sleep(0.2)
    assert entry_href(search(browser, joined).text) is None


def test_after_the_user_revokes_the_host_the_next_tap_asks_again(
    joined: Joined, browser: Browser
) -> None:
    browser.sign_in_to_host(joined)
    results = browser.get(joined.host_url + "/search", params={"q": "Gucci"})
    browser.through_platform(browser.tap(results), joined)
    with joined.runtime.sessions() as session, session.begin():
        revoke_grant(
            session,
            user_id=joined.world.user_id,
            client_id=joined.world.client_id,
            now=utcnow(),
            identifiers=joined.runtime.identifiers,
        )
    joined.runtime.tokens.clear()

    page = browser.tap(results)

    # The stored ticket died with the grant: the host forgets it and the platform asks anew.
    assert str(page.url).startswith(joined.platform_url)
    assert 'name="decision"' in page.text
    container = browser.through_platform(page, joined)
    assert 'data-testid="mp-frame"' in container.text


def test_an_expired_ticket_is_renewed_without_a_trip_to_the_platform(
    joined: Joined, browser: Browser
) -> None:
    browser.sign_in_to_host(joined)
    results = browser.get(joined.host_url + "/search", params={"q": "Gucci"})
    browser.through_platform(browser.tap(results), joined)
    before = stored_tokens(joined)
    engine = make_engine(joined.settings.database_url)
    with make_sessionmaker(engine)() as session, session.begin():
        session.execute(update(RunTicket).values(expires_at=utcnow()))
    engine.dispose()

    again = browser.tap(results, follow=False)

    assert again.status_code == 303 and again.headers["location"].startswith("/mp/run?")
    after = stored_tokens(joined)
    assert set(after).isdisjoint(before)  # a new ticket, and the refresh token rotated
    container = browser.get(str(again.url.join(again.headers["location"])))
    assert 'data-testid="mp-frame"' in container.text
