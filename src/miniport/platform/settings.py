"""Platform settings (environment prefix ``MINIPORT_PLATFORM_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from miniport.common.settings import ServiceSettings


class PlatformSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MINIPORT_PLATFORM_", extra="ignore")

    service_name: str = "platform"
    display_name_zh: str = "微信"
    display_name_en: str = "WeChat"
    identifier_secret: SecretStr | None = Field(
        default=None,
        description="Key for deriving openid/unionid/pairwise sub; generated into data_dir when unset.",
    )
    cookie_secret: SecretStr | None = Field(
        default=None, description="Key for CSRF tokens; generated into data_dir when unset."
    )
    # argon2id cost: the library defaults in production; tests pass cheap values.
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4
    signin_max_failures_per_account: int = 5
    signin_max_failures_per_address: int = 20
    signin_window_seconds: int = 300
    browser_session_hours: int = 24 * 14
    check_schema_on_start: bool = True
    workers: int = 1

    def identifier_key(self) -> bytes:
        return self.load_or_create_secret("identifier", self.identifier_secret).encode()

    def cookie_key(self) -> bytes:
        return self.load_or_create_secret("cookie", self.cookie_secret).encode()
