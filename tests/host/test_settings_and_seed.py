"""Instance settings and the demo seed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from miniport.host.brand_accounts import find_account
from miniport.host.notes.models import Note
from miniport.host.seed import MiniProgramLink, SeedError, seed_database, seed_instance
from miniport.host.settings import HostSettings, instance_defaults
from tests.host.conftest import HOST_PASSWORD, cheap_hasher, make_host_settings


def test_each_instance_has_its_own_database_and_secrets(tmp_path: Path) -> None:
    red = HostSettings(**instance_defaults("xiaohongshu"), data_dir=tmp_path)
    jd = HostSettings(**instance_defaults("jd"), data_dir=tmp_path)

    assert red.database_url.endswith("host-xiaohongshu.db")
    assert jd.database_url.endswith("host-jd.db")
    assert red.cookie_key() != jd.cookie_key()
    assert (jd.name_zh, jd.primary_color) == ("京东", "#e1251b")


def test_the_redirect_uri_is_the_callback_under_the_base_url(tmp_path: Path) -> None:
    settings = HostSettings(data_dir=tmp_path, base_url="https://red.example/")

    assert settings.redirect_uri == "https://red.example/auth/callback"
    assert settings.webhook_url == "https://red.example/webhooks/platform"


def test_unknown_instances_and_bad_colours_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown host instance"):
        instance_defaults("weibo")
    with pytest.raises(ValueError):
        HostSettings(data_dir=tmp_path, primary_color="red")


def test_seeding_jd_links_louis_vuitton_with_a_path(tmp_path: Path) -> None:
    settings = make_host_settings(tmp_path, **instance_defaults("jd"))

    report = seed_database(
        settings,
        password=HOST_PASSWORD,
        mp_links={"louis-vuitton": MiniProgramLink("wx00000000000000bb", "/pages/product")},
    )

    assert report.instance == "jd" and report.linked == {"louis-vuitton": "wx00000000000000bb"}
    assert report.brand_slugs == (
        "gucci",
        "louis-vuitton",
        "burberry",
        "coach",
        "cartier",
        "celine",
    )


def test_seeding_twice_is_refused(seeded: sessionmaker[Session]) -> None:
    with seeded() as session, pytest.raises(SeedError, match="already has users"):
        seed_instance(session, cheap_hasher(), instance="xiaohongshu", password=HOST_PASSWORD)


def test_links_name_known_brands_only(host_sessions: sessionmaker[Session]) -> None:
    with host_sessions() as session, pytest.raises(SeedError, match="hermes"):
        seed_instance(
            session,
            cheap_hasher(),
            instance="xiaohongshu",
            password=HOST_PASSWORD,
            mp_links={"hermes": "wx00000000000000cc"},
        )


def test_the_seed_has_notes_by_people_and_by_brands(seeded: sessionmaker[Session]) -> None:
    with seeded() as session:
        by_brands = session.scalar(
            select(func.count()).select_from(Note).where(Note.author_account_id.is_not(None))
        )
        gucci = find_account(session, "gucci")

    assert by_brands and by_brands >= 4
    assert gucci is not None and gucci.mp_item == "wx00000000000000aa"
    assert {"古驰", "Gucci", "GUCCI"} <= set(gucci.aliases)
