"""The settings every service shares; each service subclasses with its own env prefix.

Settings are built explicitly (``PlatformSettings()`` reads the environment, tests pass
values directly) and never at import time.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings

Environment = Literal["development", "test", "production"]

# Values people paste from examples; refused as secrets anywhere but on a developer's laptop.
PLACEHOLDER_SECRETS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "placeholder",
        "dev",
        "development",
        "test",
        "password",
        "xxx",
        "todo",
        "example",
    }
)
MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """A setting that cannot be used as given."""


def check_secret(name: str, value: str, environment: Environment) -> None:
    if environment == "development":
        return
    if value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"{name} is a placeholder or shorter than {MIN_SECRET_LENGTH} characters; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


class ServiceSettings(BaseSettings):
    environment: Environment = "development"
    data_dir: Path = Field(
        default=Path("var"), description="Where SQLite files and generated secrets live."
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means a SQLite file in data_dir."
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public base URL, no trailing slash."
    )

    service_name: str = "service"

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / (self.service_name + '.db')}"
        return self

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies only work over HTTPS; on plain http the browser would drop them."""
        return self.base_url.startswith("https://")

    def secret_file(self, name: str) -> Path:
        return self.data_dir / f"{self.service_name}-{name}.secret"

    def load_or_create_secret(self, name: str, given: SecretStr | None) -> str:
        """The configured secret, else the one generated into ``data_dir`` on first start."""
        if given is not None:
            value = given.get_secret_value()
            check_secret(f"{self.service_name} {name}", value, self.environment)
            return value
        path = self.secret_file(name)
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        # Written aside, then hard-linked into place: link fails if another worker won the
        # race, and nobody can ever read a half-written file.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(value)
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            value = path.read_text().strip()
        finally:
            tmp.unlink()
        return value
