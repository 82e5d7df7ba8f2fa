"""Bad input on every OAuth endpoint answers 4xx in that endpoint's format, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import World
from tests.support.oidc import AuthorizeParams

JSON_ENDPOINTS = ["/token", "/introspect", "/revoke"]


def _bodies(world: World) -> list[tuple[str, bytes, str]]:
    form = "application/x-www-form-urlencoded"
    return [
        ("missing grant", b"", form),
        ("repeated", b"grant_type=client_credentials&grant_type=client_credentials", form),
        ("oversized", b"grant_type=" + b"a" * 100_000, form),
        ("non-utf8", b"grant_type=client_credentials&scope=%ff%fe", form),
        ("raw non-ascii", "grant_type=c\u00e9".encode(), form),
        ("json body", b'{"grant_type":"client_credentials"}', "application/json"),
        ("nul", b"grant_type=client_credentials&scope=%00", form),
        ("garbage", b"&&&===&=", form),
    ]


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_protocol_endpoints_answer_bad_bodies_with_oauth_json(
    platform_url: str, world: World, path: str
) -> None:
    for label, body, content_type in _bodies(world):
        response = httpx.post(
            platform_url + path,
            content=body,
            headers={"Content-Type": content_type},
            auth=(world.client_id, world.client_secret),
        )
        assert 400 <= response.status_code < 500, (label, response.status_code, response.text)
        assert response.json()["error"] in {"invalid_request", "unsupported_grant_type"}, label
        assert response.headers["cache-control"] == "no-store", label


def test_unknown_grant_type(platform_url: str, world: World) -> None:
    response = httpx.post(
        f"{platform_url}/token",
        data={"grant_type": "password", "username": "x", "password": "y"},
        auth=(world.client_id, world.client_secret),
    )
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    "header",
    ["Basic !!!notbase64", "Basic " + "dXNlcg==", "Bearer abc", "Basic " + "/w==", "Digest x"],
)
def test_malformed_client_authentication(platform_url: str, header: str) -> None:
    response = httpx.post(
        f"{platform_url}/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": header},
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_userinfo_without_or_with_a_bad_token(platform_url: str) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer"}):
        response = httpx.get(f"{platform_url}/userinfo", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"] == "invalid_token"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_authorize_with_bad_parameters(platform_url: str, world: World) -> None:
    params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
    query = params.query()
    with httpx.Client(base_url=platform_url) as client:
        repeated = client.get("/authorize", params=[*query.items(), ("client_id", world.client_id)])
        assert repeated.status_code == 400 and not repeated.is_redirect
        non_utf8 = client.get(f"/authorize?client_id={world.client_id}&redirect_uri=%ff%fe")
        assert non_utf8.status_code == 400
        huge = client.get("/authorize", params={**query, "state": "s" * 10_000})
        assert 400 <= huge.status_code < 500 or huge.is_redirect
        if huge.is_redirect:
            assert "error=invalid_request" in huge.headers["location"]
        nothing = client.get("/authorize")
        assert nothing.status_code == 400
        repeated_scope = client.get("/authorize", params=[*query.items(), ("scope", "openid")])
        assert repeated_scope.is_redirect
        assert "error=invalid_request" in repeated_scope.headers["location"]
        bad_resume = client.get("/authorize/resume?request=abc.def")
        assert bad_resume.status_code == 400
        bad_consent = client.post(
            "/authorize/consent",
            content=b"\xff\xfe",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert 400 <= bad_consent.status_code < 500
