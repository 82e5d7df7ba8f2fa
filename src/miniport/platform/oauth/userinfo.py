"""OIDC Core §5.3 — the UserInfo endpoint.

The run consent promises the host a pairwise id and nothing else, so ``sub`` is the only
claim; the mini programs the token may run are listed for the host's convenience.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from miniport.platform.identifiers import IdentifierDeriver
from miniport.platform.oauth import token_store
from miniport.platform.oauth.errors import InsufficientScope, InvalidToken


def claims(
    info: token_store.TokenInfo | None, *, identifiers: IdentifierDeriver, now: dt.datetime
) -> dict[str, Any]:
    if info is None or info.kind != token_store.ACCESS or not info.is_live(now):
        raise InvalidToken("the access token is invalid or has expired")
    if info.user_id is None or "openid" not in info.scope.split():
        raise InsufficientScope("the access token was not issued with scope openid")
    return {"sub": identifiers.host_subject(user_id=info.user_id, client_id=info.client_id)}
