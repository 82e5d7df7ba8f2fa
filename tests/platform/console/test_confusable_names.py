"""The brand console refuses a mini program name that looks like another's, beside the field,
in the reader's language, naming the mini program it would be mistaken for."""

from __future__ import annotations

import re

import httpx
import pytest

from miniport.platform.registry.lookup import find_mini_program
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.console.helpers import post_form
from tests.support.html_forms import form_with

LOOK_ALIKE = "GUCCI Online Flagship Ѕtore"  # a Cyrillic dze for the S


def _page(world: World, lang: str) -> str:
    return f"/console/brand/{world.brand_id}/mp/{world.second_appid}?lang={lang}"


def _names(runtime: PlatformRuntime, appid: str) -> tuple[str, str]:
    with runtime.sessions() as session:
        mini_program = find_mini_program(session, appid)
        assert mini_program is not None
        return mini_program.name_zh, mini_program.name_en


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "zh_CN",
            "此名称容易与小程序“GUCCI Online Flagship Store”（{appid}）混淆",
        ),
        (
            "en",
            "This name can be mistaken for the mini program “GUCCI Online Flagship Store” "
            "({appid}). Choose a name that looks different.",
        ),
    ],
)
def test_a_look_alike_name_is_refused_beside_its_field(
    runtime: PlatformRuntime, brand_client: httpx.Client, world: World, lang: str, expected: str
) -> None:
    typed = {"name_en": LOOK_ALIKE, "allowed_paths": "/pages/index"}
    refused = post_form(brand_client, _page(world, lang), "name_en", typed)
    assert refused.status_code == 400
    error = re.search(
        r'<p class="warning field-error" id="name_en-error" data-testid="field-error-name_en">'
        r"([^<]*)</p>",
        refused.text,
    )
    assert error is not None, refused.text[:3000]
    assert expected.format(appid=world.appid) in error.group(1).replace("&#34;", '"')
    # The form comes back with what was typed, the field marked, the other fields silent.
    form = form_with(refused.text, "name_en")
    assert form.fields["name_en"] == LOOK_ALIKE
    assert 'aria-describedby="name_en-error"' in refused.text
    assert "field-error-name_zh" not in refused.text
    assert _names(runtime, world.second_appid) == ("古驰美妆", "Gucci Beauty")


def test_the_same_chinese_name_is_refused_and_a_different_one_saved(
    runtime: PlatformRuntime, brand_client: httpx.Client, world: World
) -> None:
    refused = post_form(
        brand_client, _page(world, "zh_CN"), "name_zh", {"name_zh": "GUCCI古驰线上旗舰店"}
    )
    assert refused.status_code == 400
    assert 'data-testid="field-error-name_zh"' in refused.text

    renamed = {"name_zh": "古驰美妆店", "allowed_paths": "/pages/index"}
    saved = post_form(brand_client, _page(world, "zh_CN"), "name_zh", renamed)
    assert saved.status_code == 303
    assert _names(runtime, world.second_appid) == ("古驰美妆店", "Gucci Beauty")


def test_saving_without_renaming_is_fine(
    runtime: PlatformRuntime, brand_client: httpx.Client, world: World
) -> None:
    page = f"/console/brand/{world.brand_id}/mp/{world.appid}"
    # (The form reader here does not read a textarea's text: the paths are typed again.)
    saved = post_form(brand_client, page, "name_en", {"allowed_paths": "/pages/index"})
    assert saved.status_code == 303
    assert _names(runtime, world.appid) == ("GUCCI古驰线上旗舰店", "GUCCI Online Flagship Store")
