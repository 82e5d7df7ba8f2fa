"""The at-rest cipher and its settings: sealed values name their key, are bound to their row,
open with the current or a previous key, and refuse clearly otherwise."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import String

from miniport.common.settings import Environment, SettingsError
from miniport.platform.atrest import AtRestKeyError, DataCipher
from miniport.platform.atrest.cipher import key_id, sealed_key_id
from miniport.platform.atrest.columns import webhook_secret_context
from miniport.platform.registry.models import Brand, HostApp
from miniport.platform.settings import PlatformSettings
from miniport.platform.webhooks.signing import new_webhook_secret

WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HOST_ROW = webhook_secret_context("host", "hc0123456789abcdef")


def _key() -> str:
    return secrets.token_urlsafe(48)


def test_a_sealed_value_names_its_key_and_shows_nothing_of_the_value() -> None:
    key = _key()
    cipher = DataCipher([key])
    sealed = cipher.seal(WHSEC, context=HOST_ROW)

    assert sealed_key_id(sealed) == key_id(key) == cipher.current_key_id
    assert "whsec_" not in sealed and WHSEC.removeprefix("whsec_") not in sealed
    assert key not in sealed and key_id(key) not in key
    assert cipher.open(sealed, context=HOST_ROW) == WHSEC
    assert cipher.seal(WHSEC, context=HOST_ROW) != sealed  # a fresh nonce every time


def test_a_value_copied_to_another_row_or_column_does_not_open() -> None:
    cipher = DataCipher([_key()])
    sealed = cipher.seal(WHSEC, context=HOST_ROW)

    for elsewhere in (
        webhook_secret_context("host", "hc00000000000000aa"),
        webhook_secret_context("brand", "1"),
        "signing_keys.private_jwk:rs256-20261208-abcdefgh",
    ):
        with pytest.raises(AtRestKeyError, match="copied from another row"):
            cipher.open(sealed, context=elsewhere)


def test_a_previous_key_still_opens_and_only_the_current_key_seals() -> None:
    old, new = _key(), _key()
    sealed_before = DataCipher([old]).seal(WHSEC, context=HOST_ROW)
    rotating = DataCipher([new, old])

    assert rotating.key_ids == (key_id(new), key_id(old))
    assert rotating.open(sealed_before, context=HOST_ROW) == WHSEC
    assert not rotating.is_current(sealed_before)
    sealed_now = rotating.seal(WHSEC, context=HOST_ROW)
    assert sealed_key_id(sealed_now) == key_id(new) and rotating.is_current(sealed_now)
    assert DataCipher([new]).open(sealed_now, context=HOST_ROW) == WHSEC


def test_a_missing_key_is_refused_naming_the_key_the_value_needs() -> None:
    old, new = _key(), _key()
    sealed = DataCipher([old]).seal(WHSEC, context=HOST_ROW)

    with pytest.raises(AtRestKeyError) as refused:
        DataCipher([new]).open(sealed, context=HOST_ROW)
    message = str(refused.value)
    assert key_id(old) in message and key_id(new) in message
    assert "MINIPORT_PLATFORM_DATA_KEY" in message and HOST_ROW in message
    assert old not in message and new not in message


def test_an_altered_or_plain_value_is_refused() -> None:
    cipher = DataCipher([_key()])
    sealed = cipher.seal(WHSEC, context=HOST_ROW)
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]

    with pytest.raises(AtRestKeyError, match="altered"):
        cipher.open(flipped, context=HOST_ROW)
    with pytest.raises(AtRestKeyError, match="not encrypted at rest"):
        cipher.open(WHSEC, context=HOST_ROW)


def test_the_at_rest_key_is_generated_once_into_the_data_dir(tmp_path: Path) -> None:
    first = PlatformSettings(data_dir=tmp_path, environment="production").data_cipher()
    again = PlatformSettings(data_dir=tmp_path, environment="production").data_cipher()

    assert again.current_key_id == first.current_key_id
    secret_file = tmp_path / "platform-data.secret"
    assert secret_file.stat().st_mode & 0o077 == 0
    assert key_id(secret_file.read_text().strip()) == first.current_key_id
    sealed = first.seal(WHSEC, context=HOST_ROW)
    assert again.open(sealed, context=HOST_ROW) == WHSEC


@pytest.mark.parametrize("value", ["changeme", "secret", "short-but-real"])
@pytest.mark.parametrize("as_previous", [False, True], ids=["current", "previous"])
def test_placeholder_at_rest_keys_are_refused_outside_development(
    tmp_path: Path, value: str, as_previous: bool
) -> None:
    current = _key() if as_previous else value
    previous = [SecretStr(value)] if as_previous else []

    def settings(environment: Environment) -> PlatformSettings:
        return PlatformSettings(
            data_dir=tmp_path,
            environment=environment,
            data_key=SecretStr(current),
            data_key_previous=previous,
        )

    for environment in ("test", "production"):
        with pytest.raises(SettingsError, match="placeholder or shorter than 32"):
            settings(environment).data_cipher()
    assert settings("development").data_cipher().current_key_id == key_id(current)


def test_previous_keys_are_read_comma_separated_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current, older, oldest = _key(), _key(), _key()
    monkeypatch.setenv("MINIPORT_PLATFORM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MINIPORT_PLATFORM_DATA_KEY", current)
    monkeypatch.setenv("MINIPORT_PLATFORM_DATA_KEY_PREVIOUS", f"{older}, {oldest}")

    cipher = PlatformSettings().data_cipher()

    assert cipher.key_ids == (key_id(current), key_id(older), key_id(oldest))
    assert not (tmp_path / "platform-data.secret").exists()  # a configured key is not stored


def test_a_sealed_webhook_secret_fits_its_column() -> None:
    # PostgreSQL refuses a value longer than the column's VARCHAR length.
    sealed = DataCipher([_key()]).seal(new_webhook_secret(), context=HOST_ROW)
    for table in (Brand.__table__, HostApp.__table__):
        column_type = table.c.webhook_secret.type
        assert isinstance(column_type, String) and column_type.length is not None
        assert len(sealed) <= column_type.length
