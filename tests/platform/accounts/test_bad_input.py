"""Malformed form posts get a readable 4xx page in the reader's language, never a 500."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from miniport.platform.accounts.models import User
from miniport.platform.runtime import PlatformRuntime
from tests.platform.accounts.pages import csrf_of, is_html_page, sign_in
from tests.platform.conftest import Account

FORM = "application/x-www-form-urlencoded"
ACTIONS = ["/signin", "/signup", "/signout", "/account/authorizations/some-client/revoke"]


def _post(
    client: httpx.Client, action: str, body: bytes, content_type: str = FORM
) -> httpx.Response:
    return client.post(action, content=body, headers={"Content-Type": content_type})


def _token(client: httpx.Client) -> bytes:
    return b"csrf_token=" + csrf_of(client.get("/signin?reauth=1")).encode()


def _assert_readable(response: httpx.Response, status: int, text: str) -> None:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert is_html_page(response)
    assert text in response.text


@pytest.mark.parametrize("action", ACTIONS)
def test_malformed_bodies(web: httpx.Client, action: str) -> None:
    token = _token(web)
    cases: list[tuple[bytes, str, int, str]] = [
        (token + b"&username=%ff%fe&password=x", FORM, 400, "不是 UTF-8 编码"),
        (token + b"&username=\xff\xfe&password=x", FORM, 400, "不是 UTF-8 编码"),
        (token + b"&csrf_token=again&username=a", FORM, 400, "字段重复出现"),
        (token + b"&username=a%00b&password=x", FORM, 400, "不允许的字符"),
        (token + b"&" + b"&".join(b"f%d=1" % i for i in range(100)), FORM, 400, "字段过多"),
        (token + b"&username=" + b"a" * 70_000, FORM, 413, "表单内容过大"),
        (b'{"username": "a"}', "application/json", 415, "只接受浏览器提交的表单"),
        (token, FORM + "; charset=latin-1", 415, "不是 UTF-8 编码"),
    ]
    for body, content_type, status, text in cases:
        _assert_readable(_post(web, action, body, content_type), status, text)


@pytest.mark.parametrize("action", ["/signin", "/signup"])
def test_missing_and_oversized_fields(
    web: httpx.Client, runtime: PlatformRuntime, action: str
) -> None:
    token = _token(web)
    _assert_readable(_post(web, action, token), 400, "请填写所有必填项")
    _assert_readable(_post(web, action, token + b"&username=&password=x"), 400, "请填写所有必填项")
    _assert_readable(_post(web, action, token + b"&username=mei"), 400, "请填写所有必填项")
    huge = token + b"&username=" + b"u" * 10_240 + b"&password=long%20enough"
    _assert_readable(_post(web, action, huge), 400, "内容过长")
    long_password = token + b"&username=mei&password=" + b"p" * 300
    _assert_readable(_post(web, action, long_password), 400, "内容过长")
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_repeated_credentials_do_not_sign_in(web: httpx.Client, account: Account) -> None:
    body = (
        _token(web)
        + b"&username=mei&username=someone&password="
        + account.password.replace(" ", "+").encode()
    )
    _assert_readable(_post(web, "/signin", body), 400, "字段重复出现")
    assert "mp_session" not in web.cookies


def test_english_page_for_bad_input(web: httpx.Client) -> None:
    web.get("/signin?lang=en")
    _assert_readable(
        _post(web, "/signin", _token(web)), 400, "Please fill in every required field."
    )


def test_display_names_refuse_control_characters(web: httpx.Client) -> None:
    body = _token(web) + b"&username=newbie&password=long+enough+pw&display_name=a%0Ab"
    _assert_readable(_post(web, "/signup", body), 400, "不允许的字符")


def test_wrong_password_still_works_after_bad_input(web: httpx.Client, account: Account) -> None:
    _post(web, "/signin", b"username=\xff")
    assert sign_in(web, account.username, account.password).status_code == 303
