"""Control characters in the store's addresses and forms get a readable 400 page, never a 500."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from miniport.shop.settings import ShopSettings
from miniport.shop.web.app import create_app
from tests.shop.conftest import Shopper
from tests.support.input_sweep import (
    CONTROL_CHARACTERS,
    cases_for,
    extra_paths,
    html_page_problem,
    routes_of,
    sweep,
)


def page_problem(response: httpx.Response, _path: str, exact: bool) -> str | None:
    return html_page_problem(response, exact)


def test_every_route_refuses_control_characters_with_a_page(shop_settings: ShopSettings) -> None:
    app = create_app(shop_settings)
    routes = routes_of(app)
    assert len(routes) >= 15  # the sweep really found the routes
    cases = list(cases_for(routes))
    extra = [path for char in CONTROL_CHARACTERS for path in extra_paths(char)]
    problems = asyncio.run(sweep(app, cases, extra, page_problem))
    assert not problems, f"{len(problems)} of {len(cases) + len(extra)}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "path", ["/products/%00", "/orders/GC%01", "/mp/entry?code=a%00b", "/staff/orders?state=%1b"]
)
def test_addresses_with_control_characters_get_a_readable_page(shopper: Shopper, path: str) -> None:
    response = shopper.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "网址中含有不允许的字符" in response.text


def test_a_form_field_with_a_control_character_is_refused(entered: Shopper) -> None:
    page = entered.get("/products/1")
    response = entered.post("/cart/add", page, product_id="1\x00", quantity="1")
    assert response.status_code == 400
    assert entered.get("/cart").text.count('data-testid="cart-line"') == 0
