"""The brand's staff pages: password-protected, throttled, showing every order's source."""

from __future__ import annotations

import datetime as dt

from miniport.common.clock import utcnow
from miniport.shop import staff
from tests.shop.conftest import STAFF_PASSWORD, Shopper


def test_staff_pages_need_the_password(shopper: Shopper) -> None:
    for path in ("/staff", "/staff/orders", "/staff/appointments"):
        response = shopper.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/signin"


def test_a_wrong_password_is_refused_and_repeated_failures_throttled(shopper: Shopper) -> None:
    page = shopper.get("/staff/signin")
    statuses = [shopper.post("/staff/signin", page, password="guess").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    right = shopper.post("/staff/signin", page, password=STAFF_PASSWORD)
    assert right.status_code == 429  # even the right password waits out the window


def test_signing_in_and_out(shopper: Shopper) -> None:
    page = shopper.get("/staff/signin")
    assert shopper.post("/staff/signin", page, password=STAFF_PASSWORD).status_code == 303
    orders = shopper.get("/staff/orders")
    assert orders.status_code == 200
    assert shopper.post("/staff/signout", orders).status_code == 303
    assert shopper.get("/staff/orders").status_code == 303


def test_staff_tokens_expire_and_die_with_the_password() -> None:
    key, now = b"k" * 32, utcnow()
    token = staff.issue_token(key, "pw-one", now=now, lifetime=dt.timedelta(hours=1))
    assert staff.token_valid(key, "pw-one", token, now=now)
    assert not staff.token_valid(key, "pw-one", token, now=now + dt.timedelta(hours=2))
    assert not staff.token_valid(key, "pw-two", token, now=now)
    assert not staff.token_valid(b"j" * 32, "pw-one", token, now=now)
    expires, _, mac = token.partition(".")
    assert not staff.token_valid(key, "pw-one", f"{int(expires) + 9999}.{mac}", now=now)
    for junk in (None, "", "abc", "1.2.3", "x" * 200):
        assert not staff.token_valid(key, "pw-one", junk, now=now)
