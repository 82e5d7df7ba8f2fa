"""The settings every service shares; each service subclasses with its own env prefix.

``ServiceSettings`` is what every service has; ``PartnerSettings`` adds what the services on
the partners' side of the platform (host apps, brand stores) share: one codebase serving
many named instances, each talking to the platform and signing its own cookies.

Settings are built explicitly (``PlatformSettings()`` reads the environment, tests pass
values directly) and never at import time.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator

from miniport.common.edge.settings import EdgeSettings

Environment = Literal["development", "test", "production"]
# An instance's name; it names the instance's database, cookies and secret files.
InstanceSlug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,31}$")]

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


def invalid_settings(error: ValidationError, *, prefix: str) -> str:
    """One line naming each bad setting as the environment variable people set.

    Never the value given: pydantic's own message quotes it, and a URL may carry a password.
    """
    problems = []
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"]).upper()
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{prefix}{name}: {message}" if name else message)
    return "invalid settings: " + "; ".join(problems)


def http_base_url(value: str, *, name: str) -> str:
    """``value`` without a trailing slash; refused unless it is an http(s) URL."""
    value = value.rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{name} must start with http:// or https://")
    return value


def check_secret(name: str, value: str, environment: Environment) -> None:
    if environment == "development":
        return
    if value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
        raise SettingsError(
            f"{name} is a placeholder or shorter than {MIN_SECRET_LENGTH} characters; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


class ServiceSettings(EdgeSettings):
    # EdgeSettings: logging, trusted proxies and request limits, the same for every service.
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
    cookie_secret: SecretStr | None = Field(
        default=None,
        description="Key for CSRF tokens and signed cookies; generated into data_dir when unset.",
    )

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return http_base_url(value, name="base_url")

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / (self.service_name + '.db')}"
        return self

    @property
    def secure_cookies(self) -> bool:
        """Secure cookies only work over HTTPS; on plain http the browser would drop them."""
        return self.base_url.startswith("https://")

    def cookie_key(self) -> bytes:
        return self.load_or_create_secret("cookie", self.cookie_secret).encode()

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


class AccountSettings(ServiceSettings):
    """What a service with its own user accounts adds: the platform, and each host app."""

    # argon2id cost: the library defaults in production; tests pass cheap values.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost: int = Field(default=65536, ge=8, description="argon2id memory in KiB.")
    argon2_parallelism: int = Field(default=4, ge=1)
    # Sign-in throttling (miniport.common.signin_throttle).
    signin_max_failures_per_account: int = Field(default=5, ge=1)
    signin_max_failures_per_address: int = Field(default=20, ge=1)
    signin_window_seconds: int = Field(default=300, ge=1)
    browser_session_hours: int = Field(default=24 * 14, ge=1)


class PartnerSettings(ServiceSettings):
    """A service on the partners' side: many named instances, each a client of the platform.

    ``service_name`` defaults to ``<service_kind>-<slug>``, so two instances sharing a data
    directory never share a database or a key.
    """

    service_kind: ClassVar[str]  # "host", "shop": starts each instance's service_name

    slug: InstanceSlug  # each service gives its own default instance
    service_name: str = ""
    platform_url: str = Field(
        default="http://127.0.0.1:8000", description="The platform's base URL (its issuer)."
    )

    @model_validator(mode="before")
    @classmethod
    def _service_name_from_slug(cls, values: Any) -> Any:
        if isinstance(values, dict) and not values.get("service_name"):
            slug = values.get("slug") or cls.model_fields["slug"].default
            values = {**values, "service_name": f"{cls.service_kind}-{slug}"}
        return values

    @field_validator("platform_url")
    @classmethod
    def _platform_url(cls, value: str) -> str:
        return http_base_url(value, name="platform_url")
