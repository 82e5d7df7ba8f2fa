"""What the SDK's calls return: small frozen dataclasses with the documented field names."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

# The brand's answer to port requests for its mini program.
PortPolicy = Literal["review", "auto_approve", "auto_refuse"]
# Why a brand closes a port (the platform's operators have more categories).
CloseCategory = Literal["policy", "security", "partner_request", "other"]


@dataclass(frozen=True, slots=True)
class AuthorizationStart:
    """A started authorization: send the browser to ``url``; keep the rest server-side.

    ``state``, ``nonce`` and ``code_verifier`` are secrets of this one request: store the
    object in the host's server-side session (never in the browser) until the redirect back.
    """

    url: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    appid: str
    path: str


@dataclass(frozen=True, slots=True)
class TokenSet:
    """A token response (RFC 6749 §5.1, OIDC Core §3.1.3.3, RFC 9396 §7).

    ``expires_at`` is computed when the response arrived (aware UTC).
    """

    access_token: str
    token_type: str
    expires_in: int
    expires_at: dt.datetime
    scope: str
    refresh_token: str | None = None
    id_token: str | None = None
    authorization_details: list[dict[str, Any]] = field(default_factory=list)

    @property
    def appids(self) -> list[str]:
        """The mini programs this token may run (from its ``authorization_details``)."""
        return sorted(
            {
                str(detail["appid"])
                for detail in self.authorization_details
                if detail.get("type") == "miniprogram_run" and "appid" in detail
            }
        )


@dataclass(frozen=True, slots=True)
class AuthorizationResult:
    """A finished authorization: the tokens and the verified ID token's claims."""

    tokens: TokenSet
    claims: dict[str, Any]

    @property
    def subject(self) -> str:
        """The user's pairwise id for this host app (the ID token's ``sub``)."""
        return str(self.claims["sub"])


@dataclass(frozen=True, slots=True)
class MiniProgramCard:
    """What a host shows for a mini program it may open."""

    name_zh: str
    name_en: str
    icon_url: str | None


@dataclass(frozen=True, slots=True)
class PortCheck:
    """The answer of ``check`` for one item (an appid or a URL link).

    ``reason`` is ``open`` or why not: ``no_port``, ``port_requested``, ``port_rejected``,
    ``port_withdrawn``, ``port_closed``, ``port_expired``, ``host_suspended``,
    ``not_in_rollout``, ``trial_ended``, ``invalid_url_link``. ``path`` and ``query`` are set
    when the item was a URL link; ``mini_program`` only when ``open``.
    """

    item: str
    appid: str | None
    open: bool
    reason: str
    path: str | None = None
    query: str | None = None
    mini_program: MiniProgramCard | None = None


@dataclass(frozen=True, slots=True)
class Launch:
    """A launched mini program: open ``launch_url`` in the host's mini-program container.

    ``code`` is single-use and lives ``expires_in`` seconds; ``scene`` is 1069 (from an app).
    """

    launch_url: str
    code: str
    expires_in: int
    scene: int


@dataclass(frozen=True, slots=True)
class MiniProgramSession:
    """``jscode2session``: the user's ids for this mini program, and a fresh session key."""

    openid: str
    session_key: str
    unionid: str | None


@dataclass(frozen=True, slots=True)
class ReportedOrder:
    """``report_order``: the host app the platform attributed the order to (None when the
    buyer never came through a host), and whether this order had been reported before."""

    order_id: str
    host_client_id: str | None
    duplicate: bool


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified webhook delivery. ``id`` (the ``webhook-id`` header) is the same for every
    redelivery of one event: deduplicate on it."""

    id: str
    type: str
    timestamp: dt.datetime
    data: dict[str, Any]
