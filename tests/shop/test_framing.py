"""Only the registered hosts may frame the store, and its cookies work inside their frames."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from starlette.responses import Response

from miniport.shop.settings import ShopSettings
from miniport.shop.web.framing import FramedCsrfCookieMiddleware, set_session_cookie
from tests.shop.conftest import HOST_ORIGINS, Launcher, Shopper, make_shop_settings


def _frame_ancestors(policy: str) -> list[str]:
    for directive in policy.split(";"):
        name, _, value = directive.strip().partition(" ")
        if name == "frame-ancestors":
            return value.split()
    raise AssertionError(f"no frame-ancestors in {policy!r}")


@pytest.mark.parametrize(
    "path", ["/", "/products/1", "/boutiques", "/cart", "/nope", "/static/shop.css", "/theme.css"]
)
def test_every_response_lists_exactly_the_registered_host_origins(
    shopper: Shopper, path: str
) -> None:
    response = shopper.get(path)

    policy = response.headers["content-security-policy"]
    assert _frame_ancestors(policy) == ["'self'", *HOST_ORIGINS]
    assert "x-frame-options" not in response.headers


def test_redirects_and_refusals_carry_the_policy_too(shopper: Shopper, launcher: Launcher) -> None:
    entry = shopper.enter(launcher.launch_url())
    refused = shopper.get("/mp/entry?code=spent")
    for response in (entry, refused):
        assert _frame_ancestors(response.headers["content-security-policy"]) == [
            "'self'",
            *HOST_ORIGINS,
        ]


def test_pages_run_no_script_and_post_only_to_the_store(shopper: Shopper) -> None:
    policy = shopper.get("/").headers["content-security-policy"]
    assert "script-src 'none'" in policy and "form-action 'self'" in policy


def test_origins_are_normalised_and_anything_else_refused(tmp_path: Path) -> None:
    settings = make_shop_settings(
        tmp_path,
        frame_ancestors=["HTTP://127.0.0.1:8200/", "https://Host.Example", "https://host.example"],
    )
    assert settings.frame_ancestors == ["http://127.0.0.1:8200", "https://host.example"]
    for bad in ("*", "https://*.example", "https://host.example/path", "'none'", "javascript:x"):
        with pytest.raises(ValidationError):
            make_shop_settings(tmp_path, frame_ancestors=[bad])


def test_origins_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "MINIPORT_SHOP_FRAME_ANCESTORS", "http://127.0.0.1:8200, http://127.0.0.1:8300"
    )
    monkeypatch.setenv("MINIPORT_SHOP_HOST_NAMES", '{"xiaohongshu": "小红书"}')
    settings = ShopSettings(data_dir=tmp_path)
    assert settings.frame_ancestors == ["http://127.0.0.1:8200", "http://127.0.0.1:8300"]
    assert settings.host_name("xiaohongshu") == "小红书"
    assert settings.database_url.endswith("shop-gucci.db")


def test_on_https_cookies_are_cross_site_and_partitioned() -> None:
    response = Response()
    set_session_cookie(response, name="s", value="v", max_age=60, secure=True)
    header = response.headers["set-cookie"]
    assert "SameSite=None" in header and "Secure" in header and "Partitioned" in header


def test_on_http_cookies_are_lax_and_not_secure() -> None:
    response = Response()
    set_session_cookie(response, name="s", value="v", max_age=60, secure=False)
    header = response.headers["set-cookie"]
    assert "SameSite=Lax" in header and "Secure" not in header


def test_the_csrf_cookie_follows_the_same_rule() -> None:
    secure = FramedCsrfCookieMiddleware(Response(), key=b"k" * 32, secure=True, session_cookies=[])
    plain = FramedCsrfCookieMiddleware(Response(), key=b"k" * 32, secure=False, session_cookies=[])
    assert secure._cookie_header("v").decode().endswith("SameSite=None; Secure; Partitioned")
    assert "SameSite=Lax" in plain._cookie_header("v").decode()
