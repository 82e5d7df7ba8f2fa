"""Platform settings (environment prefix ``MINIPORT_PLATFORM_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from miniport.common.settings import AccountSettings

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
