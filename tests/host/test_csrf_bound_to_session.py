"""The host's forms take a CSRF token only with the session it was rendered for."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from miniport.common.csrf import CSRF_COOKIE
from miniport.host.web.deps import SESSION_COOKIE
from tests.host.conftest import HOST_PASSWORD, StandAlone
from tests.support.html_forms import form_with, submit


def _browser(standalone: StandAlone) -> httpx.Client:
    return httpx.Client(base_url=standalone.url, follow_redirects=False, timeout=10)


def _sign_in(client: httpx.Client, username: str = "lin") -> None:
    page = client.get("/signin")
    done = submit(
        client,
        page,
        form_with(page.text, "password"),
        {"username": username, "password": HOST_PASSWORD},
    )
    assert done.status_code == 303, done.text[:500]


def _signed_in(client: httpx.Client) -> bool:
    return client.get("/me").status_code == 200


@pytest.fixture
def victim(standalone: StandAlone) -> Iterator[httpx.Client]:
    with _browser(standalone) as client:
        _sign_in(client)
        yield client


@pytest.mark.parametrize("attacker_signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_sign_out_refuses_an_attackers_cookie_and_token_beside_the_victims_session(
    standalone: StandAlone, victim: httpx.Client, attacker_signed_in: bool
) -> None:
    with _browser(standalone) as attacker:
        if attacker_signed_in:
            signup = attacker.get("/signup")
            made = submit(
                attacker,
                signup,
                form_with(signup.text, "password"),
                {"username": "mallory", "password": "long enough pw"},
            )
            assert made.status_code == 303
        page = attacker.get("/me" if attacker_signed_in else "/signin")
        token = form_with(page.text, "csrf_token").fields["csrf_token"]
        planted = attacker.cookies[CSRF_COOKIE]

    forged = httpx.post(
        standalone.url + "/signout",
        data={"csrf_token": token},
        headers={
            "Cookie": f"{SESSION_COOKIE}={victim.cookies[SESSION_COOKIE]}; {CSRF_COOKIE}={planted}"
        },
    )
    assert forged.status_code == 403
    assert "表单已失效" in forged.text, forged.text[:500]
    # Signing out deletes the session row; the victim's browser is still signed in.
    assert _signed_in(victim)


def test_a_token_from_before_sign_in_is_refused_after_sign_in(standalone: StandAlone) -> None:
    with _browser(standalone) as client:
        page = client.get("/signin")
        before = form_with(page.text, "password").fields["csrf_token"]
        _sign_in(client)
        assert client.post("/signout", data={"csrf_token": before}).status_code == 403
        assert _signed_in(client)

        me = client.get("/me")
        assert submit(client, me, form_with(me.text, "csrf_token"), {}).status_code == 303
        assert not _signed_in(client)
