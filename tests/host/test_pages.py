"""The host app as a visitor meets it: feed, notes, brands, accounts, language, safety."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest

from tests.host.browsing import cards_of
from tests.host.conftest import GUCCI_APPID, HOST_PASSWORD, StandAlone
from tests.support.html_forms import form_with, submit


@pytest.fixture
def client(standalone: StandAlone) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=standalone.url, follow_redirects=True, timeout=10) as opened:
        yield opened


def sign_in(
    client: httpx.Client, username: str = "lin", password: str = HOST_PASSWORD
) -> httpx.Response:
    page = client.get("/signin")
    return submit(
        client, page, form_with(page.text, "password"), {"username": username, "password": password}
    )


def test_the_feed_shows_notes_with_generated_covers(client: httpx.Client) -> None:
    page = client.get("/")

    assert page.status_code == 200
    assert page.text.count('class="note-card"') == 16
    assert "Gucci 新款竹节包｜上班背一周的真实感受" in page.text
    cover = client.get(re.findall(r'src="(/covers/\d+\.svg)"', page.text)[0])
    assert cover.headers["content-type"].startswith("image/svg+xml")
    assert cover.text.startswith("<svg") and "<script" not in cover.text


def test_a_note_page_shows_text_author_likes_and_comments(client: httpx.Client) -> None:
    feed = client.get("/").text
    note_id = re.findall(r'href="/notes/(\d+)"', feed)[-1]

    page = client.get(f"/notes/{note_id}")

    assert page.status_code == 200
    assert "赞" in page.text and "评论" in page.text
    assert client.get("/notes/999999").status_code == 404


def test_a_brand_account_page_has_badge_bio_followers_and_notes(client: httpx.Client) -> None:
    page = client.get("/brands/gucci")

    assert page.status_code == 200
    assert "已认证品牌账号" in page.text
    assert "古驰官方企业号" in page.text
    assert "126.4万" in page.text  # followers, counted the Chinese way
    assert "古驰秋冬系列" in page.text
    assert client.get("/brands/nobody").status_code == 404


def test_english_is_one_tap_away(client: httpx.Client) -> None:
    page = client.get("/brands/gucci", params={"lang": "en"})

    assert '<html lang="en">' in page.text
    assert "Verified brand account" in page.text
    assert "1.3M followers" in page.text
    assert "official account: new collections" in page.text
    assert '<html lang="en">' in client.get("/").text  # remembered


def test_sign_up_then_sign_out_then_sign_in(client: httpx.Client) -> None:
    page = client.get("/signup")
    done = submit(
        client,
        page,
        form_with(page.text, "password"),
        {"username": "Xiao_Ming", "display_name": "小明", "password": "long enough pw"},
    )
    assert done.status_code == 200
    me = client.get("/me")
    assert "@xiao_ming" in me.text and "小明" in me.text

    submit(client, me, form_with(me.text, "csrf_token"), {})
    assert str(client.get("/me").url).endswith("/signin?next=%2Fme")

    again = sign_in(client, "xiao_ming", "long enough pw")
    assert "小明" in client.get("/me").text and again.status_code == 200


def test_signup_problems_are_explained(client: httpx.Client) -> None:
    page = client.get("/signup")
    form = form_with(page.text, "password")

    taken = submit(client, page, form, {"username": "lin", "password": "long enough pw"})
    weak = submit(client, page, form, {"username": "someone", "password": "short"})

    assert taken.status_code == 409 and "该用户名已被占用" in taken.text
    assert weak.status_code == 422 and "密码长度须为 8 至 256 个字符" in weak.text


def test_a_wrong_password_is_refused(client: httpx.Client) -> None:
    page = sign_in(client, password="not the password")

    assert page.status_code == 422 and "用户名或密码错误" in page.text


def test_forms_without_the_csrf_token_are_refused(client: httpx.Client) -> None:
    client.get("/signin")

    forged = client.post("/signin", data={"username": "lin", "password": HOST_PASSWORD})

    assert forged.status_code == 403
    assert "host_session" not in client.cookies


def test_sign_in_returns_only_to_pages_of_this_app(client: httpx.Client) -> None:
    page = client.get("/signin", params={"next": "//evil.example/x"})

    done = submit(
        client,
        page,
        form_with(page.text, "password"),
        {"username": "lin", "password": HOST_PASSWORD},
    )

    assert str(done.url).rstrip("/") == str(client.base_url).rstrip("/")


def test_pages_are_not_framed_or_cached(client: httpx.Client) -> None:
    page = client.get("/")

    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_opening_a_mini_program_needs_a_signed_in_user(client: httpx.Client) -> None:
    target = "/mp/open?" + urlencode({"appid": GUCCI_APPID, "path": "/pages/index"})

    page = client.get(target, follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"].startswith("/signin?next=%2Fmp%2Fopen")


def test_a_mini_program_no_card_offers_is_not_opened(
    client: httpx.Client, standalone: StandAlone
) -> None:
    sign_in(client)

    page = client.get("/mp/open", params={"appid": "wx00000000000000ff"}, follow_redirects=False)

    assert page.status_code == 403 and 'data-testid="notice"' in page.text
    assert not any(items == ("wx00000000000000ff",) for _, items in standalone.platform.calls)


@pytest.mark.parametrize(
    "params",
    [{}, {"appid": "wx../../x"}, {"appid": GUCCI_APPID, "path": "pages"}, {"appid": "x" * 65}],
)
def test_malformed_mini_program_links_are_refused(
    client: httpx.Client, params: dict[str, str]
) -> None:
    sign_in(client)

    assert client.get("/mp/open", params=params).status_code == 400


def test_a_callback_with_an_unknown_state_is_refused(client: httpx.Client) -> None:
    sign_in(client)

    page = client.get("/auth/callback", params={"code": "abc", "state": "never-issued"})

    assert page.status_code == 400 and "授权链接已失效" in page.text


def test_an_unreachable_platform_leaves_plain_cards(
    client: httpx.Client, standalone: StandAlone
) -> None:
    sign_in(client)
    standalone.platform.unreachable = True

    page = client.get("/search", params={"q": "Gucci"})

    assert page.status_code == 200
    assert cards_of(page.text) == {"gucci": False}


def test_brands_tab_checks_all_cards_in_one_call(
    client: httpx.Client, standalone: StandAlone
) -> None:
    sign_in(client)
    before = len(standalone.platform.calls)

    page = client.get("/brands")

    assert len(cards_of(page.text)) == 6
    assert cards_of(page.text)["gucci"] is True
    assert len(standalone.platform.calls) - before == 1


def test_searching_a_brand_lists_its_card_then_notes_in_any_of_its_names(
    client: httpx.Client,
) -> None:
    page = client.get("/search", params={"q": "LV"})

    assert list(cards_of(page.text)) == ["louis-vuitton"]
    assert "LV Speedy 25 vs 30" in page.text
    assert "路易威登老花托特｜三年使用后的状态" in page.text  # says 路易威登, not LV
    assert "Cartier Love" not in page.text  # "silver-tone" is no match for LV


def test_a_tap_while_the_platform_is_unreachable_says_so(
    client: httpx.Client, standalone: StandAlone
) -> None:
    sign_in(client)
    standalone.platform.unreachable = True

    page = client.get("/mp/open", params={"appid": GUCCI_APPID, "return": "/search?q=Gucci"})

    assert page.status_code == 502
    assert "无法连接平台" in page.text
    assert 'href="/search?q=Gucci"' in page.text
