"""A method a store page does not serve gets 405 with ``Allow`` naming the ones it does
(RFC 9110 §15.5.6), as every other answer of the store, a page."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE"])
def test_405_names_the_methods_the_page_serves(shop_url: str, method: str) -> None:
    response = httpx.request(method, f"{shop_url}/cart")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    assert response.headers["content-type"].startswith("text/html")
