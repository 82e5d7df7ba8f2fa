"""Settings: defaults, generated secrets, and placeholder secrets refused outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from miniport.common.settings import SettingsError
from miniport.platform.settings import PlatformSettings


def test_defaults_put_a_sqlite_file_under_the_data_dir(tmp_path: Path) -> None:
    settings = PlatformSettings(data_dir=tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'platform.db'}"
    assert settings.display_name_zh == "微信" and settings.display_name_en == "WeChat"


def test_environment_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MINIPORT_PLATFORM_BASE_URL", "https://platform.example/")
    monkeypatch.setenv("MINIPORT_PLATFORM_DATA_DIR", str(tmp_path))
    settings = PlatformSettings()
    assert settings.base_url == "https://platform.example"
    assert settings.secure_cookies is True


def test_identifier_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = PlatformSettings(data_dir=tmp_path, environment="production")
    first = settings.identifier_key()
    assert len(first) >= 48
    assert PlatformSettings(data_dir=tmp_path).identifier_key() == first
    assert (tmp_path / "platform-identifier.secret").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("value", ["changeme", "secret", "short-but-real"])
def test_placeholder_secrets_are_refused_outside_development(tmp_path: Path, value: str) -> None:
    settings = PlatformSettings(
        data_dir=tmp_path, environment="production", identifier_secret=SecretStr(value)
    )
    with pytest.raises(SettingsError):
        settings.identifier_key()
    development = PlatformSettings(
        data_dir=tmp_path, environment="development", identifier_secret=SecretStr(value)
    )
    assert development.identifier_key() == value.encode()


def test_a_real_secret_is_accepted_in_production(tmp_path: Path) -> None:
    value = "k" * 20 + "Q9x-Zt_7" * 4
    settings = PlatformSettings(
        data_dir=tmp_path, environment="production", identifier_secret=SecretStr(value)
    )
    assert settings.identifier_key() == value.encode()


def test_base_url_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http"):
        PlatformSettings(data_dir=tmp_path, base_url="ftp://x")
