"""Card state from port checks: entry only when open, one check per page, brief cache,
cleared by webhooks (here and in other workers), plain cards when the platform is down."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.host.brand_accounts import BrandAccount, list_accounts, set_mp_link
from miniport.host.mini_program_cards import (
    CardDirectory,
    CheckCache,
    card_epoch,
    entry_for,
    record_event,
)
from miniport.sdk.models import PortCheck
from tests.host.conftest import GUCCI_APPID, FakePlatform, closed_result, open_result

USER = "u_test"


def account(mp_item: str | None = GUCCI_APPID, mp_path: str | None = None) -> BrandAccount:
    return BrandAccount(id=1, slug="gucci", mp_item=mp_item, mp_path=mp_path)


def test_an_open_answer_gives_the_entry() -> None:
    entry = entry_for(account(mp_path="/pages/product"), open_result(GUCCI_APPID))

    assert entry is not None
    assert (entry.appid, entry.path, entry.name("zh_CN"), entry.name("en")) == (
        GUCCI_APPID,
        "/pages/product",
        "GUCCI古驰线上旗舰店",
        "GUCCI Online Flagship Store",
    )


def test_a_url_link_answer_names_the_page() -> None:
    link = "http://platform.test/urllink/abcdefabcdefabcd"
    result = PortCheck(
        item=link,
        appid=GUCCI_APPID,
        open=True,
        reason="open",
        path="/pages/product",
        query="id=7",
        mini_program=open_result(GUCCI_APPID).mini_program,
    )

    entry = entry_for(account(mp_item=link), result)

    assert entry is not None and (entry.appid, entry.path, entry.query) == (
        GUCCI_APPID,
        "/pages/product",
        "id=7",
    )


@pytest.mark.parametrize(
    "result",
    [
        None,
        closed_result(GUCCI_APPID, "port_closed"),
        closed_result(GUCCI_APPID, "host_suspended"),
        closed_result(GUCCI_APPID, "not_in_rollout"),
        PortCheck(item=GUCCI_APPID, appid=GUCCI_APPID, open=True, reason="open"),  # no card
        PortCheck(item="x", appid=None, open=False, reason="invalid_url_link"),
    ],
)
def test_anything_but_open_is_the_plain_card(result: PortCheck | None) -> None:
    assert entry_for(account(), result) is None


def test_one_check_for_all_cards_of_a_page(seeded: sessionmaker[Session]) -> None:
    with seeded() as session, session.begin():
        accounts = list_accounts(session)
        by_slug = {a.slug: a for a in accounts}
        set_mp_link(session, by_slug["louis-vuitton"], "wx00000000000000bb")
        set_mp_link(session, by_slug["celine"], GUCCI_APPID)  # the same item twice
    platform = FakePlatform(closed={"wx00000000000000bb": "port_closed"})
    cards = CardDirectory(platform, CheckCache(ttl=30))

    entries = cards.entries(USER, accounts)

    ((user, items),) = platform.calls
    assert (user, sorted(items)) == (USER, [GUCCI_APPID, "wx00000000000000bb"])
    assert set(entries) == {by_slug["gucci"].id, by_slug["celine"].id}


def test_answers_are_reused_briefly_then_asked_again() -> None:
    now = [100.0]
    platform = FakePlatform()
    cards = CardDirectory(platform, CheckCache(ttl=30, clock=lambda: now[0]))

    cards.entries(USER, [account()])
    cards.entries(USER, [account()])
    now[0] += 31
    cards.entries(USER, [account()])

    assert len(platform.calls) == 2


def test_each_user_is_asked_about_separately() -> None:
    platform = FakePlatform()
    cards = CardDirectory(platform, CheckCache(ttl=30))

    cards.entries("u_one", [account()])
    cards.entries("u_two", [account()])

    assert [user for user, _ in platform.calls] == ["u_one", "u_two"]


def test_a_cleared_cache_asks_at_once() -> None:
    platform = FakePlatform()
    cards = CardDirectory(platform, CheckCache(ttl=30))
    assert cards.entries(USER, [account()])

    platform.closed[GUCCI_APPID] = "port_closed"
    cards.cache.clear()

    assert cards.entries(USER, [account()]) == {}
    assert len(platform.calls) == 2


def test_an_answer_fetched_before_a_clear_is_not_cached_after_it() -> None:
    cache = CheckCache(ttl=30)
    snapshot = cache.lookup(USER, [GUCCI_APPID])
    cache.clear()  # a webhook arrives while the check is in flight

    cache.store(USER, [open_result(GUCCI_APPID)], generation=snapshot.generation)

    assert cache.lookup(USER, [GUCCI_APPID]).found == {}


def test_another_workers_webhook_reaches_this_cache_through_the_epoch(
    seeded: sessionmaker[Session],
) -> None:
    platform = FakePlatform()
    cards = CardDirectory(platform, CheckCache(ttl=30))
    with seeded() as session:
        cards.cache.sync_epoch(card_epoch(session))
    cards.entries(USER, [account()])
    with seeded() as session, session.begin():
        # Recorded by some other worker; this one never saw the webhook itself.
        assert record_event(session, webhook_id="msg_1", event_type="port.closed", now=utcnow())
    with seeded() as session:
        cards.cache.sync_epoch(card_epoch(session))

    assert len(cards.cache) == 0


def test_events_that_do_not_change_cards_keep_the_epoch(seeded: sessionmaker[Session]) -> None:
    with seeded() as session, session.begin():
        before = card_epoch(session)
        record_event(session, webhook_id="msg_x", event_type="something.else", now=utcnow())
        assert card_epoch(session) == before
        record_event(session, webhook_id="msg_y", event_type="grant.revoked", now=utcnow())
        assert card_epoch(session) > before


def test_an_unreachable_platform_shows_plain_cards_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    platform = FakePlatform(unreachable=True)
    cards = CardDirectory(platform, CheckCache(ttl=30))

    with caplog.at_level(logging.WARNING):
        entries = cards.entries(USER, [account()])

    assert entries == {}
    assert "port check failed" in caplog.text
    # Failures are not cached: the next page asks again.
    platform.unreachable = False
    assert cards.entries(USER, [account()])


def test_no_user_or_no_links_means_no_check() -> None:
    platform = FakePlatform()
    cards = CardDirectory(platform, CheckCache(ttl=30))

    assert cards.entries(None, [account()]) == {}
    assert cards.entries(USER, [account(mp_item=None)]) == {}
    assert platform.calls == []
