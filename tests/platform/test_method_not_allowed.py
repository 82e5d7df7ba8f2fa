"""A 405 names every method the resource serves (RFC 9110 §15.5.6), also where each method
is its own route (/authorize, /userinfo) and on the lean path."""

from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "allowed"),
    [("/authorize", "GET, POST"), ("/userinfo", "GET, POST"), ("/revoke", "POST")],
)
def test_405_lists_every_method_of_the_path(platform_url: str, path: str, allowed: str) -> None:
    response = httpx.request("TRACE", f"{platform_url}{path}")
    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert response.json()["error"] == "invalid_request"
