"""Pairwise identifiers: stable across restarts, unlinkable across mini programs and hosts."""

from __future__ import annotations

from pathlib import Path

from miniport.platform.identifiers import IdentifierDeriver
from tests.conftest import make_platform_settings


def _deriver(data_dir: Path) -> IdentifierDeriver:
    return IdentifierDeriver(make_platform_settings(data_dir).identifier_key())


def test_ids_are_stable_across_restarts(tmp_path: Path) -> None:
    first, second = _deriver(tmp_path), _deriver(tmp_path)  # the secret file is reused
    assert first.openid(user_id=7, appid="wx1") == second.openid(user_id=7, appid="wx1")
    assert first.unionid(user_id=7, brand_id=1) == second.unionid(user_id=7, brand_id=1)
    assert first.host_subject(user_id=7, client_id="hc1") == second.host_subject(
        user_id=7, client_id="hc1"
    )


def test_ids_differ_per_mini_program_host_and_user(tmp_path: Path) -> None:
    ids = _deriver(tmp_path)
    assert ids.openid(user_id=7, appid="wx1") != ids.openid(user_id=7, appid="wx2")
    assert ids.host_subject(user_id=7, client_id="hc1") != ids.host_subject(
        user_id=7, client_id="hc2"
    )
    assert ids.openid(user_id=7, appid="wx1") != ids.openid(user_id=8, appid="wx1")
    assert ids.unionid(user_id=7, brand_id=1) != ids.unionid(user_id=7, brand_id=2)
    # The kinds never collide either, even for look-alike inputs.
    assert ids.openid(user_id=7, appid="1")[1:] != ids.unionid(user_id=7, brand_id=1)[1:]


def test_another_platform_secret_gives_other_ids(tmp_path: Path) -> None:
    here, there = _deriver(tmp_path / "a"), _deriver(tmp_path / "b")
    assert here.openid(user_id=7, appid="wx1") != there.openid(user_id=7, appid="wx1")


def test_ids_have_the_expected_shape(tmp_path: Path) -> None:
    ids = _deriver(tmp_path)
    openid = ids.openid(user_id=1, appid="wx0123456789abcdef")
    assert openid.startswith("o") and len(openid) == 29
    assert all(c.isalnum() or c in "-_" for c in openid)
