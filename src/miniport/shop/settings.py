"""Shop settings (environment prefix ``MINIPORT_SHOP_``).

One codebase serves every brand's store: an instance is a store name, a brand, colours, its
own database and its own mini-program credentials on the platform. ``instance_defaults``
holds the two stores the demo runs, so their branding lives in one place:

    ShopSettings(**instance_defaults("gucci"), base_url="http://127.0.0.1:8400",
                 platform_url="http://127.0.0.1:8000", appid="wx…", app_secret="…",
                 frame_ancestors=["http://127.0.0.1:8200"])

Lists and maps come from the environment as JSON (``MINIPORT_SHOP_HOST_NAMES='{"…": "小红书"}'``);
``MINIPORT_SHOP_FRAME_ANCESTORS`` also takes a comma-separated list of origins.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from miniport.common.list_setting import split_list
from miniport.common.settings import InstanceSlug, PartnerSettings

ENTRY_PATH = "/mp/entry"
_COLOUR = r"^#[0-9a-fA-F]{6}$"

# The demo's two stores. Colours: ``ink`` for text and the primary button, ``paper`` for the
# page, ``accent`` for prices, rules and the selected tab, ``tint`` for soft panels.
INSTANCES: dict[str, dict[str, str]] = {
    "gucci": {
        "slug": "gucci",
        "name_zh": "GUCCI古驰线上旗舰店",
        "name_en": "GUCCI Online Flagship Store",
        "brand_zh": "古驰",
        "brand_en": "Gucci",
        "wordmark": "GUCCI",
        "wordmark_style": "serif",
        "campaign_zh": "早春系列 新品上市",
        "campaign_en": "The Cruise collection",
        "campaign_note_zh": "线上选购 · 门店自提 · 专属导购",
        "campaign_note_en": "Shop online · Collect in boutique · Your own guide",
        "order_prefix": "GC",
        "ink_color": "#111111",
        "paper_color": "#ffffff",
        "accent_color": "#a88a4f",
        "tint_color": "#f6f2ea",
    },
    "louis-vuitton": {
        "slug": "louis-vuitton",
        "name_zh": "LOUIS VUITTON路易威登官方精品店",
        "name_en": "Louis Vuitton Official Store",
        "brand_zh": "路易威登",
        "brand_en": "Louis Vuitton",
        "wordmark": "LOUIS VUITTON",
        "wordmark_style": "sans",
        "campaign_zh": "经典老花 旅行艺术",
        "campaign_en": "The art of travel",
        "campaign_note_zh": "预约到店 · 尊享一对一服务",
        "campaign_note_en": "Book a boutique visit · One-to-one service",
        "order_prefix": "LV",
        "ink_color": "#3b2618",
        "paper_color": "#fbf7ef",
        "accent_color": "#b0894f",
        "tint_color": "#efe4d0",
    },
}


def instance_defaults(slug: str) -> dict[str, Any]:
    """Branding for one of the demo's stores (``gucci`` or ``louis-vuitton``)."""
    try:
        return dict(INSTANCES[slug])
    except KeyError:
        raise ValueError(f"unknown shop instance {slug!r}; known: {sorted(INSTANCES)}") from None


def web_origin(value: str) -> str:
    """``scheme://host[:port]`` exactly, lower-cased; anything else is refused.

    A framing origin goes verbatim into ``frame-ancestors``: a path, a wildcard or a quoted
    keyword there would widen who may frame the store, so only plain origins pass.
    """
    text = value.strip()
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
        or "*" in text
    ):
        raise ValueError(f"{value!r} is not an origin like https://host.example[:port]")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


class ShopSettings(PartnerSettings):
    model_config = SettingsConfigDict(env_prefix="MINIPORT_SHOP_", extra="ignore")
    service_kind: ClassVar[str] = "shop"

    slug: InstanceSlug = Field(
        default="gucci",
        description="Names this store's database, cookies and secret files (shop-<slug>).",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8300", description="Public base URL, no trailing slash."
    )
    name_zh: str = "GUCCI古驰线上旗舰店"
    name_en: str = "GUCCI Online Flagship Store"
    brand_zh: str = "古驰"
    brand_en: str = "Gucci"
    wordmark: str = Field(default="GUCCI", min_length=1, max_length=32)
    wordmark_style: Literal["serif", "sans"] = "serif"
    campaign_zh: str = Field(default="", max_length=40, description="The home banner's line.")
    campaign_en: str = Field(default="", max_length=60)
    campaign_note_zh: str = Field(default="", max_length=60)
    campaign_note_en: str = Field(default="", max_length=80)
    order_prefix: str = Field(
        default="GC", pattern=r"^[A-Z]{2,4}$", description="Starts every order number."
    )
    ink_color: str = Field(default="#111111", pattern=_COLOUR)
    paper_color: str = Field(default="#ffffff", pattern=_COLOUR)
    accent_color: str = Field(default="#a88a4f", pattern=_COLOUR)
    tint_color: str = Field(default="#f6f2ea", pattern=_COLOUR)

    appid: str = Field(default="", description="This mini program's appid on the platform.")
    app_secret: SecretStr = Field(
        default=SecretStr(""), description="This mini program's app secret on the platform."
    )
    frame_ancestors: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins of the registered host apps allowed to frame the store.",
    )
    host_names: dict[str, str] = Field(
        default_factory=dict,
        description="Display names for host apps an entry names (client id or slug → name).",
    )
    staff_password: SecretStr | None = Field(
        default=None,
        description="Password of the brand's staff pages (/staff); generated when unset.",
    )
    session_hours: int = Field(
        default=24, ge=1, le=24 * 30, description="How long a shop session lasts after entry."
    )
    staff_session_hours: int = Field(default=8, ge=1, le=24 * 7)
    order_report_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often paid orders not yet reported to the platform are sent again.",
    )
    check_schema_on_start: bool = True

    @field_validator("frame_ancestors", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(web_origin(origin) for origin in value))

    @property
    def entry_url(self) -> str:
        """The launch URL to register on the platform for this mini program."""
        return self.base_url + ENTRY_PATH

    @property
    def icon_url(self) -> str:
        """The store's icon, for the platform's registry and the host's brand card."""
        return self.base_url + "/art/icon.svg"

    @property
    def session_cookie(self) -> str:
        # Cookies are not separated by port: two stores on 127.0.0.1 would overwrite each
        # other's session under one shared name.
        return f"shop_{self.slug.replace('-', '_')}_session"

    @property
    def guide_cookie(self) -> str:
        return f"shop_{self.slug.replace('-', '_')}_guide"

    @property
    def staff_cookie(self) -> str:
        return f"shop_{self.slug.replace('-', '_')}_staff"

    def display_name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en

    def brand_name(self, locale: str) -> str:
        return self.brand_zh if locale.startswith("zh") else self.brand_en

    def host_name(self, host: str | None) -> str | None:
        """What to call the host app an entry recorded (its configured name, else as given)."""
        if not host:
            return None
        return self.host_names.get(host, host)

    def staff_password_value(self) -> str:
        """The staff password: configured, else generated into ``data_dir`` on first use."""
        return self.load_or_create_secret("staff-password", self.staff_password)
