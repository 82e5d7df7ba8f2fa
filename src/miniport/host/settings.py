"""Host-app settings (environment prefix ``MINIPORT_HOST_``).

One codebase serves every partner app: an instance is a name, colours, a logo, its own
database and its own platform credentials. ``instance_defaults`` holds the two instances the
demo runs, so their branding lives in one place:

    HostSettings(**instance_defaults("jd"), base_url="http://127.0.0.1:8300", ...)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from miniport.common.settings import AccountSettings, InstanceSlug, PartnerSettings

CALLBACK_PATH = "/auth/callback"
WEBHOOK_PATH = "/webhooks/platform"
_COLOUR = r"^#[0-9a-fA-F]{6}$"

# The demo's two partner apps. Colours: each app's own red, a darker shade for pressed
# states, and a pale tint for badges and selected tabs.
INSTANCES: dict[str, dict[str, str]] = {
    "xiaohongshu": {
        "slug": "xiaohongshu",
        "name_zh": "小红书",
        "name_en": "Xiaohongshu",
        "tagline_zh": "标记我的生活",
        "tagline_en": "Notes on how we live",
        "flavor": "community",
        "primary_color": "#ff2442",
        "primary_dark": "#d91a36",
        "tint_color": "#fff0f2",
    },
    "jd": {
        "slug": "jd",
        "name_zh": "京东",
        "name_en": "JD",
        "tagline_zh": "多快好省",
        "tagline_en": "More, faster, better, for less",
        "flavor": "shopping",
        "primary_color": "#e1251b",
        "primary_dark": "#b81d15",
        "tint_color": "#fdf0ef",
    },
}


def instance_defaults(slug: str) -> dict[str, Any]:
    """Branding for one of the demo's host apps (``xiaohongshu`` or ``jd``)."""
    try:
        return dict(INSTANCES[slug])
    except KeyError:
        raise ValueError(f"unknown host instance {slug!r}; known: {sorted(INSTANCES)}") from None


class HostSettings(PartnerSettings, AccountSettings):
    model_config = SettingsConfigDict(env_prefix="MINIPORT_HOST_", extra="ignore")
    service_kind: ClassVar[str] = "host"

    slug: InstanceSlug = Field(
        default="xiaohongshu",
        description="Names this instance's database and secret files (host-<slug>).",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8100", description="Public base URL, no trailing slash."
    )
    name_zh: str = "小红书"
    name_en: str = "Xiaohongshu"
    tagline_zh: str = ""
    tagline_en: str = ""
    flavor: str = Field(
        default="community",
        pattern=r"^(community|shopping)$",
        description="community: a note feed first; shopping: deals first. Only wording differs.",
    )
    primary_color: str = Field(default="#ff2442", pattern=_COLOUR)
    primary_dark: str = Field(default="#d91a36", pattern=_COLOUR)
    tint_color: str = Field(default="#fff0f2", pattern=_COLOUR)
    logo_path: Path | None = Field(
        default=None,
        description="An SVG logo; empty means the bundled logo named after the slug.",
    )

    client_id: str = Field(default="", description="This host app's client id on the platform.")
    client_secret: SecretStr = Field(
        default=SecretStr(""), description="This host app's client secret on the platform."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="The whsec_… secret the platform signs its webhooks with."
    )
    user_key_secret: SecretStr | None = Field(
        default=None,
        description="Key for the opaque user keys sent to the platform; generated when unset.",
    )
    token_secret: SecretStr | None = Field(
        default=None,
        description="Key sealing stored run tickets and PKCE verifiers; generated when unset.",
    )

    check_cache_seconds: float = Field(
        default=30.0, ge=0, description="How long a port check answer is reused for a user."
    )
    authorization_minutes: int = Field(
        default=10, ge=1, le=60, description="How long a started platform authorization lives."
    )
    check_schema_on_start: bool = True

    @property
    def redirect_uri(self) -> str:
        """Where the platform sends the browser back; register exactly this on the platform."""
        return self.base_url + CALLBACK_PATH

    @property
    def webhook_url(self) -> str:
        return self.base_url + WEBHOOK_PATH

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    def tagline(self, locale: str) -> str:
        return self.tagline_zh if locale.startswith("zh") else self.tagline_en

    def user_key_key(self) -> bytes:
        return self.load_or_create_secret("user-key", self.user_key_secret).encode()

    def token_key(self) -> bytes:
        return self.load_or_create_secret("token", self.token_secret).encode()
