"""Platform settings (environment prefix ``MINIPORT_PLATFORM_``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from miniport.common.settings import AccountSettings, check_secret
from miniport.platform.atrest.cipher import DataCipher

BUS_URL_SCHEMES = (
    "redis://",
    "rediss://",
    "unix://",
    "postgresql://",
    "postgres://",
    "postgresql+psycopg://",
)


class PlatformSettings(AccountSettings):
    model_config = SettingsConfigDict(env_prefix="MINIPORT_PLATFORM_", extra="ignore")

    service_name: str = "platform"
    display_name_zh: str = "微信"
    display_name_en: str = "WeChat"
    identifier_secret: SecretStr | None = Field(
        default=None,
        description=(
            "Key for deriving openid/unionid/pairwise sub; generated into data_dir when unset."
        ),
    )
    # Encryption at rest (miniport.platform.atrest): signing keys' private parts and partner
    # webhook secrets are stored sealed under data_key; the previous keys only still open.
    data_key: SecretStr | None = Field(
        default=None,
        description=(
            "Key encrypting signing keys and webhook secrets in the database; generated into "
            "data_dir when unset."
        ),
    )
    data_key_previous: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description=(
            "Earlier at-rest keys, comma-separated: still read, never written. Remove them "
            "after `miniport keys reencrypt`."
        ),
    )
    check_schema_on_start: bool = True
    workers: int = 1
    # The change bus (see miniport.platform.bus.factory): "" picks PostgreSQL LISTEN/NOTIFY
    # when database_url is PostgreSQL and the in-process bus otherwise; "inprocess" forces the
    # in-process bus; a redis:// or postgresql:// URL names that server.
    bus_url: str = Field(
        default="",
        description=(
            'Change bus: "" (auto: PostgreSQL LISTEN/NOTIFY, or a file beside a SQLite '
            'database), "inprocess", redis://… or postgresql://….'
        ),
    )
    bus_channel: str = Field(
        default="miniport_changes",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="LISTEN/NOTIFY channel or Redis pub/sub channel shared by every worker.",
    )
    trial_expiry_interval: float = Field(
        default=1.0,
        ge=0,
        description="Seconds between trial-expiry sweeps in each worker; 0 turns the job off.",
    )
    # Partner webhooks (miniport.platform.webhooks.delivery): every worker process runs a
    # delivery thread; claims keep them from sending the same attempt twice. Turn it off
    # where `miniport webhooks run` does the sending instead.
    webhook_delivery_enabled: bool = Field(
        default=True, description="Send webhooks from the platform server's own workers."
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, description="Seconds between looks for due webhook deliveries."
    )

    # How long in-memory views may be stale when no change bus message reaches a worker
    # (a change made by a process on another bus, or direct SQL). The bus makes ordinary
    # changes visible at once; these only bound the silent case. Short values are for tests.
    keys_refresh_seconds: float = Field(
        default=30.0, gt=0, description="Seconds before a worker re-reads the signing keys."
    )
    registry_cache_seconds: float = Field(
        default=10.0, gt=0, description="Seconds a mini program or host app entry is cached."
    )
    card_cache_seconds: float = Field(
        default=300.0, gt=0, description="Seconds a brand card for the port check is cached."
    )
    link_cache_seconds: float = Field(
        default=30.0, gt=0, description="Seconds a resolved URL link is cached."
    )

    @field_validator("data_key_previous", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.replace(" ", ",").split(",") if part]
        return value

    @field_validator("bus_url")
    @classmethod
    def _known_bus(cls, value: str) -> str:
        value = value.strip()
        if value in ("", "inprocess") or value.startswith(BUS_URL_SCHEMES):
            return value
        raise ValueError(
            'bus_url must be empty, "inprocess", or a redis://, rediss://, unix:// or '
            "postgresql:// URL"
        )

    def identifier_key(self) -> bytes:
        return self.load_or_create_secret("identifier", self.identifier_secret).encode()

    def data_cipher(self) -> DataCipher:
        """The at-rest cipher: seals with ``data_key``, opens with it and the previous keys."""
        current = self.load_or_create_secret("data", self.data_key)
        previous = [key.get_secret_value() for key in self.data_key_previous]
        for value in previous:
            check_secret(f"{self.service_name} previous data key", value, self.environment)
        return DataCipher([current, *previous])
