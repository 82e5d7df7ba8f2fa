"""After sign-in the browser only ever goes back to a page of the platform itself."""

from __future__ import annotations

import httpx
import pytest

from miniport.platform.accounts.redirects import DEFAULT_AFTER_SIGNIN, safe_next
from tests.platform.accounts.pages import sign_in, sign_up
from tests.platform.conftest import Account

HOSTILE = [
    "//evil.example",
    "//evil.example/path",
    "https://evil.example",
    "http://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("candidate", HOSTILE)
def test_hostile_next_values_fall_back(candidate: str) -> None:
    assert safe_next(candidate) == DEFAULT_AFTER_SIGNIN


@pytest.mark.parametrize(
    "candidate",
    ["/account/authorizations", "/authorize/resume?request=a.b&x=%2F%2Fevil", "/搜索?q=古驰"],
)
def test_same_site_paths_are_kept(candidate: str) -> None:
    assert safe_next(candidate) == candidate


@pytest.mark.parametrize("candidate", ["//evil.example", "https://evil.example", "/\\evil"])
def test_sign_in_ignores_open_redirects(
    web: httpx.Client, account: Account, candidate: str
) -> None:
    response = sign_in(web, account.username, account.password, next_path=candidate)
    assert response.status_code == 303
    assert response.headers["location"] == DEFAULT_AFTER_SIGNIN

    # Already signed in: GET /signin?next=... redirects at once, and must not go off-site.
    again = web.get("/signin", params={"next": candidate})
    assert again.status_code == 303
    assert again.headers["location"] == DEFAULT_AFTER_SIGNIN
    # The form never carries the hostile value either.
    form = web.get("/signin", params={"next": candidate, "reauth": "1"})
    assert f'value="{DEFAULT_AFTER_SIGNIN}"' in form.text


def test_sign_up_ignores_open_redirects(web: httpx.Client) -> None:
    page = web.get("/signup", params={"next": "//evil.example"})
    assert f'name="next" value="{DEFAULT_AFTER_SIGNIN}"' in page.text
    response = sign_up(web, "xiaoming", "a long passphrase")
    assert response.headers["location"] == DEFAULT_AFTER_SIGNIN


def test_sign_in_keeps_a_same_site_next(web: httpx.Client, account: Account) -> None:
    target = "/authorize/resume?request=abc.def"
    response = sign_in(web, account.username, account.password, next_path=target)
    assert response.headers["location"] == target
