"""Opening the store with a launch code from the real platform: a session starts and the
store shows; a used, expired, foreign or closed-port code shows the page that explains it."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, update

from miniport.common.clock import utcnow
from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.tokens import digest
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.ports.lifecycle import Reason, close, find_port
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from miniport.shop.customers.models import Customer
from miniport.shop.sessions.models import ShopSession
from miniport.shop.settings import ShopSettings
from tests.factories import OPERATOR, run_ticket
from tests.shop.conftest import Launcher, Shopper, ShopWorld, shown


def _code(launch_url: str) -> str:
    return parse_qs(urlsplit(launch_url).query)["code"][0]


def test_a_valid_code_starts_a_session_and_shows_the_page_it_names(
    shopper: Shopper, launcher: Launcher, shop_settings: ShopSettings
) -> None:
    launch_url = launcher.launch_url("/pages/product?id=3")
    assert launch_url.startswith(shopper.shop_url + "/mp/entry?")

    response = shopper.enter(launch_url)

    assert response.status_code == 303
    assert response.headers["location"] == "/products/3"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{shop_settings.session_cookie}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = shopper.get("/products/3")
    assert page.status_code == 200
    assert 'data-testid="add-to-cart"' in page.text
    assert 'data-testid="open-from-app"' not in page.text  # no "open it from your app" notice


def test_the_session_records_scene_and_unionid(
    shopper: Shopper, launcher: Launcher, shop_settings: ShopSettings, shop_world: ShopWorld
) -> None:
    shopper.enter(launcher.launch_url())

    engine = make_engine(shop_settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            row = session.scalars(select(ShopSession)).one()
            customer = session.get(Customer, row.customer_id)
    finally:
        engine.dispose()
    assert row.entry_scene == 1069
    # The platform's launch URL names the launching host app by its client id.
    assert row.entry_host == shop_world.world.client_id
    assert customer is not None and customer.openid and customer.unionid


def test_reloading_the_entry_url_in_the_same_browser_lands_on_the_store(
    shopper: Shopper, launcher: Launcher
) -> None:
    launch_url = launcher.launch_url("/pages/cart")
    first = shopper.enter(launch_url)
    assert first.status_code == 303

    again = shopper.enter(launch_url)

    assert again.status_code == 303
    assert again.headers["location"] == "/cart"
    assert "set-cookie" not in again.headers or "shop_gucci_session" not in again.headers.get(
        "set-cookie", ""
    )
    assert shopper.get("/cart").status_code == 200


def test_a_used_code_in_another_browser_shows_the_expired_page(
    shop_url: str, launcher: Launcher
) -> None:
    launch_url = launcher.launch_url()
    first, second = Shopper(shop_url), Shopper(shop_url)
    try:
        assert first.enter(launch_url).status_code == 303

        replay = second.enter(launch_url)
    finally:
        first.close()
        second.close()

    assert replay.status_code == 400
    assert 'data-testid="entry-expired"' in replay.text
    assert "链接已失效" in replay.text
    assert "set-cookie" not in replay.headers or "shop_gucci_session" not in replay.headers.get(
        "set-cookie", ""
    )


def test_an_expired_code_shows_the_expired_page(
    shopper: Shopper, launcher: Launcher, runtime: PlatformRuntime
) -> None:
    launch_url = launcher.launch_url()
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(LaunchCode)
            .where(LaunchCode.digest == digest(_code(launch_url)))
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )

    response = shopper.enter(launch_url)

    assert response.status_code == 400
    assert 'data-testid="entry-expired"' in response.text


def test_another_mini_programs_code_is_refused_like_an_unknown_one(
    shopper: Shopper, platform_url: str, shop_world: ShopWorld
) -> None:
    # A run ticket covering the store and the brand's other mini program; the code is the
    # other one's, presented to this store (a host mixing up its frames, or an attacker).
    both = run_ticket(platform_url, shop_world.world, [shop_world.appid, shop_world.world.appid])
    other = Launcher(platform_url, both, shop_world.world.appid).launch_url()
    code = _code(other)

    response = shopper.get(f"/mp/entry?code={code}&scene=1069&path=/pages/index")

    assert response.status_code == 400
    assert 'data-testid="entry-expired"' in response.text


def test_a_made_up_code_is_refused(shopper: Shopper, shop_url: str) -> None:
    response = shopper.get(f"/mp/entry?code={'x' * 43}&scene=1069&path=/pages/index")
    assert response.status_code == 400
    assert 'data-testid="entry-expired"' in response.text


def test_a_code_without_a_code_parameter_shows_the_expired_page(shopper: Shopper) -> None:
    response = shopper.get("/mp/entry?scene=1069")
    assert response.status_code == 400
    assert 'data-testid="entry-expired"' in response.text


def test_a_closed_port_shows_that_the_store_is_no_longer_available_here(
    shopper: Shopper, launcher: Launcher, runtime: PlatformRuntime, shop_world: ShopWorld
) -> None:
    launch_url = launcher.launch_url()
    with runtime.sessions() as session, session.begin():
        port = find_port(session, client_id=shop_world.world.client_id, appid=shop_world.appid)
        assert port is not None
        close(
            session,
            port.id,
            actor=OPERATOR,
            reason=Reason(ReasonCategory.POLICY, "trial over"),
            now=utcnow(),
        )

    response = shopper.enter(launch_url)

    assert response.status_code == 403
    assert 'data-testid="entry-closed"' in response.text
    assert "该App中已无法使用本小程序" in response.text
    assert shown(response, "notice-reason") == "port_closed"
    english = shopper.get("/?lang=en")  # the explanation reads in English too
    assert english.status_code == 200
    again = shopper.enter(launch_url)
    assert "This mini program is no longer available in this app" in again.text


def test_the_entry_never_redirects_off_the_store(shopper: Shopper, launcher: Launcher) -> None:
    # The platform refuses unknown pages at launch, so the path is forged after the fact; the
    # code is still valid and the store must map the path to one of its own pages.
    launch_url = launcher.launch_url()
    forged = launch_url.replace("path=%2Fpages%2Findex", "path=%2F%2Fevil.example%2F")

    response = shopper.enter(forged)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
