"""The calls the host makes to the platform, as a protocol over ``miniport.sdk.HostClient``.

Domain code depends on this protocol rather than on the client class, so tests can hand it
a stand-in for the parts that do not need a platform; the one place that builds the real
``HostClient`` is ``miniport.host.runtime``. Results are the SDK's own dataclasses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from miniport.sdk.models import (
    AuthorizationResult,
    AuthorizationStart,
    Launch,
    PortCheck,
    TokenSet,
)


class PortChecker(Protocol):
    def check(self, *, user_key: str, items: Sequence[str]) -> list[PortCheck]: ...


class PlatformClient(PortChecker, Protocol):
    def new_authorization(
        self,
        *,
        redirect_uri: str,
        appid: str,
        path: str = ...,
        scope: str = ...,
        prompt: str | None = ...,
        login_hint: str | None = ...,
    ) -> AuthorizationStart: ...

    def complete_authorization(
        self, start: AuthorizationStart, params: Mapping[str, str]
    ) -> AuthorizationResult: ...

    def refresh(self, refresh_token: str, *, scope: str | None = ...) -> TokenSet: ...

    def launch(
        self, *, run_ticket: str, appid: str, path: str, query: str = ..., user_key: str
    ) -> Launch: ...

    def close(self) -> None: ...
