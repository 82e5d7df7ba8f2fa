"""A value the registry refuses, typed into a console form, gets a sentence in the reader's
language about that field — never the registry's English developer text, never a 500."""

from __future__ import annotations

import httpx
import pytest

from miniport.platform.registry.lookup import find_mini_program
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.console.helpers import post_form


@pytest.mark.parametrize(
    ("field", "value", "zh", "en"),
    [
        (
            "redirect_uris",
            "http://evil.example/cb",
            "每个回调地址必须是完整的 https://",
            "Each redirect URI must be",
        ),
        (
            "redirect_uris",
            "https://notes.example/cb#x",
            "每个回调地址必须是完整的 https://",
            "Each redirect URI must be",
        ),
        (
            "webhook_url",
            "ftp://notes.example/hooks",
            "Webhook 地址必须是完整的",
            "The webhook URL must be",
        ),
    ],
)
def test_the_host_console_explains_a_refused_value(
    host_client: httpx.Client, world: World, field: str, value: str, zh: str, en: str
) -> None:
    url = f"/console/host/{world.client_id}"
    for lang, expected in (("zh_CN", zh), ("en", en)):
        refused = post_form(host_client, f"{url}?lang={lang}", field, {field: value})
        assert refused.status_code == 400
        assert expected in refused.text
        assert "must use https://" not in refused.text  # the registry's own wording


@pytest.mark.parametrize(
    ("field", "value", "zh"),
    [
        ("entry_url", "javascript:alert(1)", "入口地址必须是完整的"),
        ("icon_url", "ftp://cdn.example/icon.png", "图标须留空"),
        ("allowed_paths", "/pages/../admin", "每个允许的页面路径须以单个 / 开头"),
        ("allowed_paths", "", "每个允许的页面路径须以单个 / 开头"),
        ("name_en", "   ", "名称不能为空"),
    ],
)
def test_the_brand_console_explains_a_refused_value(
    runtime: PlatformRuntime,
    brand_client: httpx.Client,
    world: World,
    field: str,
    value: str,
    zh: str,
) -> None:
    url = f"/console/brand/{world.brand_id}/mp/{world.appid}"
    with runtime.sessions() as session:
        before = find_mini_program(session, world.appid)
        assert before is not None
        kept = (before.entry_url, before.icon_url, list(before.allowed_paths), before.name_en)
    refused = post_form(brand_client, f"{url}?lang=zh_CN", "entry_url", {field: value})
    assert refused.status_code == 400
    assert zh in refused.text
    with runtime.sessions() as session:
        after = find_mini_program(session, world.appid)
        assert after is not None
        assert (after.entry_url, after.icon_url, list(after.allowed_paths), after.name_en) == kept
