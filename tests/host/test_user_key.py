"""The opaque user key the platform sees: stable per user, unlinkable across hosts."""

from __future__ import annotations

from miniport.host.mini_program_cards import user_key


def test_the_same_user_always_gets_the_same_key() -> None:
    assert user_key(b"k" * 32, 7) == user_key(b"k" * 32, 7)


def test_users_get_different_keys() -> None:
    assert user_key(b"k" * 32, 7) != user_key(b"k" * 32, 8)


def test_another_host_secret_gives_another_key() -> None:
    assert user_key(b"k" * 32, 7) != user_key(b"j" * 32, 7)


def test_the_key_does_not_show_the_user_id_and_fits_the_platform() -> None:
    key = user_key(b"k" * 32, 123456)
    assert "123456" not in key
    assert 16 <= len(key) <= 128 and key.isascii()
