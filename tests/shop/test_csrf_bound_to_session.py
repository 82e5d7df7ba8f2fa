"""The store's forms take a CSRF token only with the session it was rendered for."""

from __future__ import annotations

import httpx
import pytest

from miniport.common.csrf import CSRF_COOKIE
from miniport.shop.settings import ShopSettings
from tests.shop.conftest import STAFF_PASSWORD, Launcher, Shopper


def _bag_lines(shopper: Shopper) -> int:
    return shopper.get("/cart").text.count('data-testid="cart-line"')


@pytest.mark.parametrize("attacker", ["signed-out", "own-session"])
def test_the_bag_refuses_an_attackers_cookie_and_token_beside_the_victims_session(
    entered: Shopper, shop_url: str, shop_settings: ShopSettings, launcher: Launcher, attacker: str
) -> None:
    mallory = Shopper(shop_url)
    try:
        if attacker == "own-session":
            assert mallory.enter(launcher.launch_url()).status_code == 303
            page = mallory.get("/products/1")
        else:
            page = mallory.get("/staff/signin")
        token, planted = mallory.csrf(page), mallory.client.cookies[CSRF_COOKIE]
    finally:
        mallory.close()

    victim_session = entered.client.cookies[shop_settings.session_cookie]
    forged = httpx.post(
        shop_url + "/cart/add",
        data={"csrf_token": token, "product_id": "1", "quantity": "1"},
        headers={
            "Cookie": f"{shop_settings.session_cookie}={victim_session}; {CSRF_COOKIE}={planted}"
        },
    )
    assert forged.status_code == 403
    assert _bag_lines(entered) == 0

    # The victim's own page still works.
    assert entered.add_to_cart(1).status_code == 303
    assert _bag_lines(entered) == 1


def test_staff_sign_in_retires_the_token_of_the_sign_in_page(entered: Shopper) -> None:
    page = entered.get("/staff/signin")
    assert entered.post("/staff/signin", page, password=STAFF_PASSWORD).status_code == 303
    # The sign-in page's token was for the browser without a staff session.
    assert entered.post("/staff/signout", page).status_code == 403
    assert entered.get("/staff/orders").status_code == 200

    orders = entered.get("/staff/orders")
    assert entered.post("/staff/signout", orders).status_code == 303
