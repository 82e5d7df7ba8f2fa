"""One demo service as configuration: what it is, where it listens, and its settings.

A service's settings are kept as the plain values its settings class is built from. The
demo builds the settings object from them in-process (to migrate and seed the service's
database) and hands the very same values to the service's own process as its
``MINIPORT_<SERVICE>_*`` environment, so seeding and serving cannot disagree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import SecretStr

from miniport.common.settings import ServiceSettings
from miniport.host.settings import HostSettings
from miniport.platform.settings import PlatformSettings
from miniport.shop.settings import ShopSettings


class ServiceKind(StrEnum):
    PLATFORM = "platform"
    HOST = "host"
    SHOP = "shop"


# Each kind's ASGI factory (what ``miniport serve …`` runs) and settings class.
FACTORIES = {
    ServiceKind.PLATFORM: "miniport.platform.web.asgi:create_app_from_env",
    ServiceKind.HOST: "miniport.host.web.asgi:create_app_from_env",
    ServiceKind.SHOP: "miniport.shop.web.asgi:create_app_from_env",
}
SETTINGS: dict[ServiceKind, type[ServiceSettings]] = {
    ServiceKind.PLATFORM: PlatformSettings,
    ServiceKind.HOST: HostSettings,
    ServiceKind.SHOP: ShopSettings,
}
# A page that answers without a session: the service is up once it responds.
READY_PATHS = {
    ServiceKind.PLATFORM: "/.well-known/openid-configuration",
    ServiceKind.HOST: "/",
    ServiceKind.SHOP: "/",
}


# The only settings a demo takes from the shell that starts it: how often each service
# refreshes what it holds in memory (``MINIPORT_PLATFORM_KEYS_REFRESH_SECONDS=2 miniport
# demo``). Every other ``MINIPORT_*`` variable is kept away from the demo's servers, so a
# production database URL in a person's shell cannot reach them; these only change how soon a
# demo notices what it would notice anyway, which lets a test idle it past every interval.
TUNABLE: dict[ServiceKind, tuple[str, ...]] = {
    ServiceKind.PLATFORM: (
        "keys_refresh_seconds",
        "registry_cache_seconds",
        "card_cache_seconds",
        "link_cache_seconds",
        "trial_expiry_interval",
        "webhook_poll_seconds",
    ),
    ServiceKind.HOST: ("check_cache_seconds",),
    ServiceKind.SHOP: ("order_report_seconds",),
}


def env_prefix(kind: ServiceKind) -> str:
    prefix = SETTINGS[kind].model_config.get("env_prefix")
    assert isinstance(prefix, str)  # every service settings class declares one
    return prefix


def tuning(kind: ServiceKind, environ: Mapping[str, str]) -> dict[str, str]:
    """The ``TUNABLE`` settings of ``kind`` that ``environ`` sets, as their settings' values."""
    prefix = env_prefix(kind)
    return {
        name: environ[prefix + name.upper()]
        for name in TUNABLE[kind]
        if prefix + name.upper() in environ
    }


def env_value(value: object) -> str:
    """A settings value as pydantic-settings reads it back from the environment."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        # Only origin lists are passed as lists; their setting takes a comma-separated value.
        return ",".join(str(item) for item in value)
    if isinstance(value, dict):
        # Maps are read as JSON; 小红书 stays readable in the environment of a process.
        return json.dumps(value, ensure_ascii=False)
    return str(value)  # str, int, float, Path


@dataclass(frozen=True)
class ServiceConfig:
    key: str  # the layout's key: platform, xiaohongshu, jd, gucci, louis-vuitton
    kind: ServiceKind
    label: str
    port: int
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        base_url = self.values["base_url"]
        assert isinstance(base_url, str)
        return base_url

    @property
    def factory(self) -> str:
        return FACTORIES[self.kind]

    @property
    def ready_url(self) -> str:
        return self.url + READY_PATHS[self.kind]

    def settings(self) -> ServiceSettings:
        return SETTINGS[self.kind](**self.values)

    def env(self) -> dict[str, str]:
        prefix = env_prefix(self.kind)
        return {prefix + name.upper(): env_value(value) for name, value in self.values.items()}
