"""Names that can be mistaken for another entry's are refused (Unicode TR39 skeletons).

Issue 11 §3: a brand named ``Gu\\u0441\\u0441i`` (Cyrillic с) with Gucci's Chinese name was
registered. Refusals name the entry the new name would be mistaken for, in the domain (so
the CLI and the consoles both get them) and on the command line, in text and JSON.
"""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from miniport.platform.console.partners import update_mini_program
from miniport.platform.ports.states import Actor
from miniport.platform.registry.admin import create_brand, create_host_app, create_mini_program
from miniport.platform.registry.confusables import confusable
from miniport.platform.registry.errors import ConfusableName
from miniport.platform.registry.models import Brand, MiniProgram
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from tests.factories import World, build_world
from tests.support.platform_cli import PlatformCli

CYRILLIC_GUCCI = "Gu\u0441\u0441i"
SYSTEM = Actor.system()


@pytest.mark.parametrize(
    ("new", "existing"),
    [
        (CYRILLIC_GUCCI, "Gucci"),  # Cyrillic es
        ("ＧＵＣＣＩ", "Gucci"),  # full-width Latin
        ("GUCCI", "Gucci"),  # case
        ("GUCCl", "Gucci"),  # lower-case L for capital I
        ("GU\u0421\u0421I", "Gucci"),  # Cyrillic capital es, upper case
        ("Gu\u200bcci", "Gucci"),  # a zero-width space
        ("G\u2060ucci", "Gucci"),  # a word joiner
        ("古驰", "古驰"),  # the same Chinese name
        ("古驰\u3000", "古驰"),  # an ideographic space after it
        ("GUCCI 古驰线上旗舰店", "GUCCI古驰线上旗舰店"),
        ("Аррle", "Apple"),  # all Cyrillic
        ("D1OR", "Dior"),
    ],
)
def test_look_alikes_are_confusable(new: str, existing: str) -> None:
    assert confusable(new, existing)
    assert confusable(existing, new)


@pytest.mark.parametrize(
    ("new", "existing"),
    [
        ("Prada", "Gucci"),
        ("Gucci Beauty", "Gucci"),
        ("古驰美妆", "古驰"),
        ("Chanei", "Chanel"),  # i and l are told apart in lower case
        ("古馳", "古驰"),  # traditional and simplified: different characters
        ("JD", "小红书"),
        ("Hermès", "Hermes"),
    ],
)
def test_different_names_are_not_confusable(new: str, existing: str) -> None:
    assert not confusable(new, existing)


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)


def _brand(session: Session, slug: str, name_zh: str, name_en: str) -> Brand:
    return create_brand(session, slug=slug, name_zh=name_zh, name_en=name_en, actor=SYSTEM)


@pytest.mark.parametrize(
    ("name_zh", "name_en", "field"),
    [
        ("古驰", CYRILLIC_GUCCI, "name_zh"),  # the case: both names copied
        ("古奇", CYRILLIC_GUCCI, "name_en"),
        ("古奇", "ＧＵＣＣＩ", "name_en"),
        ("古驰", "Gucci Group", "name_zh"),
        ("Gucci", "Gucci Group", "name_zh"),  # a Latin name in the Chinese field
    ],
)
def test_a_brand_named_like_another_is_refused_naming_it(
    runtime: PlatformRuntime, world: World, name_zh: str, name_en: str, field: str
) -> None:
    with runtime.sessions() as session, pytest.raises(ConfusableName) as refused:
        _brand(session, "gucci-official", name_zh, name_en)
    assert refused.value.field == field
    assert refused.value.kind == "brand"
    assert refused.value.existing_id == "gucci"
    assert refused.value.existing_name in {"古驰", "Gucci"}
    assert "(gucci)" in str(refused.value)


def test_a_brand_with_its_own_names_is_accepted(runtime: PlatformRuntime, world: World) -> None:
    with runtime.sessions() as session, session.begin():
        prada = _brand(session, "prada", "普拉达", "Prada")
        # The same names in both fields of one entry are no impersonation of anyone.
        _brand(session, "jd-brand", "JD Brand", "JD Brand")
    assert prada.id is not None


def test_host_apps_and_mini_programs_are_checked_too(
    runtime: PlatformRuntime, world: World
) -> None:
    with runtime.sessions() as session:
        with pytest.raises(ConfusableName) as host:
            create_host_app(
                session,
                slug="xhs2",
                name_zh="小红书",
                name_en="Little Red Book",
                redirect_uris=["https://xhs2.example/cb"],
                actor=SYSTEM,
            )
        assert (host.value.kind, host.value.existing_id) == ("host app", "xiaohongshu")
        prada = _brand(session, "prada", "普拉达", "Prada")
        # Another brand's mini program named like Gucci's store is refused too.
        with pytest.raises(ConfusableName) as program:
            create_mini_program(
                session,
                brand_id=prada.id,
                name_zh="普拉达旗舰店",
                name_en="GUCCI Online Flagship Ѕtore",  # Cyrillic dze
                entry_url="https://prada.example/entry",
                allowed_paths=["/pages/index"],
                actor=SYSTEM,
            )
        assert program.value.kind == "mini program"
        assert program.value.existing_id == world.appid
        assert program.value.existing_name == "GUCCI Online Flagship Store"


def test_renaming_a_mini_program(runtime: PlatformRuntime, world: World) -> None:
    def rename(session: Session, name_zh: str, name_en: str) -> None:
        mini_program = session.get_one(MiniProgram, world.second_appid)
        update_mini_program(
            session,
            mini_program,
            name_zh=name_zh,
            name_en=name_en,
            icon_url=mini_program.icon_url,
            entry_url=mini_program.entry_url,
            allowed_paths=list(mini_program.allowed_paths),
            actor=SYSTEM,
            now=mini_program.created_at,
        )

    with runtime.sessions() as session, session.begin():
        rename(session, "古驰美妆", "Gucci Beauty")  # its own names: always fine
        rename(session, "古驰美妆", "GUCCI BEAUTY")  # its own name in capitals: fine too
    with runtime.sessions() as session:
        with pytest.raises(ConfusableName) as refused:
            rename(session, "ＧＵＣＣＩ古驰线上旗舰店", "Gucci Beauty")
        assert refused.value.field == "name_zh"
        assert refused.value.existing_name == "GUCCI古驰线上旗舰店"


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def cli(platform_settings: PlatformSettings) -> PlatformCli:
    cli = PlatformCli(platform_settings)
    created = cli("brand", "create", "--slug", "gucci", "--name-zh", "古驰", "--name-en", "Gucci")
    assert created.exit_code == 0, created.output
    return cli


def test_brand_create_refuses_the_cyrillic_gucci(cli: PlatformCli) -> None:
    args = (
        "brand",
        "create",
        "--slug",
        "gucci-cn",
        "--name-zh",
        "古驰",
        "--name-en",
        CYRILLIC_GUCCI,
    )
    human = cli(*args)
    assert human.exit_code == 1
    assert "can be mistaken for the brand '古驰' (gucci)" in human.stderr
    assert human.stdout == ""
    message = cli.json_error(*args)
    assert "can be mistaken for the brand '古驰' (gucci)" in message
    listed = cli.json("brand", "list")
    assert [brand["slug"] for brand in listed["brands"]] == ["gucci"]


def test_brand_create_refuses_full_width_and_accepts_another_brand(cli: PlatformCli) -> None:
    message = cli.json_error(
        "brand", "create", "--slug", "gucci-fw", "--name-zh", "古奇", "--name-en", "ＧＵＣＣＩ"
    )
    assert "name_en 'ＧＵＣＣＩ' can be mistaken for the brand 'Gucci' (gucci)" in message
    prada = cli.json(
        "brand", "create", "--slug", "prada", "--name-zh", "普拉达", "--name-en", "Prada"
    )
    assert prada["slug"] == "prada"
