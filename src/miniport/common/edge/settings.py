"""What every service's edge reads from its settings: logging, forwarding, request limits.

``ServiceSettings`` inherits these, so each service reads them under its own prefix
(``MINIPORT_PLATFORM_LOG_FORMAT``, ``MINIPORT_HOST_TRUSTED_PROXIES``, …).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from miniport.common.list_setting import split_list

LogFormat = Literal["auto", "json", "text"]

KIB = 1024


class EdgeSettings(BaseSettings):
    log_format: LogFormat = Field(
        default="auto",
        description="json: one JSON object a line; text: for people; auto: text on a "
        "terminal, JSON otherwise.",
    )
    access_log: bool = Field(default=True, description="One redacted line per request.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks of proxies whose X-Forwarded-For/-Proto are "
        "believed; empty believes no forwarding header.",
    )
    max_url_bytes: int = Field(default=8 * KIB, ge=256, description="Longer: 414.")
    max_header_bytes: int = Field(
        default=16 * KIB, ge=1 * KIB, description="All header names and values together; 431."
    )
    max_headers: int = Field(default=100, ge=8, description="More header lines: 431.")
    max_body_bytes: int = Field(
        default=1024 * KIB,
        ge=1 * KIB,
        description="Any request body; routes that read bodies refuse smaller ones: 413.",
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        networks = []
        for item in value:
            try:
                # strict: host bits set in a network (10.0.0.1/8) are a typo, not a wish.
                parsed = (
                    ipaddress.ip_network(item, strict=True)
                    if "/" in item
                    else ipaddress.ip_address(item)
                )
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (like 10.0.0.0/8)"
                ) from None
            networks.append(str(parsed))
        return list(dict.fromkeys(networks))
