"""``GET /sns/jscode2session`` — the mini program's server trades a launch code for the user's ids.

Mirrors the API family's code exchange: query ``appid``, ``secret``, ``js_code`` and
``grant_type=authorization_code``; answer ``{"openid", "session_key", "unionid"}``.
``openid`` is per (user, mini program), ``unionid`` per (user, brand), both derived (see
``miniport.platform.identifiers``); ``session_key`` is 128 fresh random bits in base64
(24 characters), handed to the mini program and not kept by the platform.

Refusals, in the order they are checked:

- 40002 ``grant_type`` is not ``authorization_code``; 40013 unknown appid; 40125 wrong secret
  (a constant-time compare);
- 40029 the code is missing, unknown, issued to another mini program (answered exactly like
  an unknown one), already used or expired;
- 89300 the code was revoked by the close of its port and the port is still not open; once
  the port reopens, such a code answers 40029 (it stays dead either way);
- 40226 the user is blocked;
- 89300 the code's port is not open *now* — closed, host suspended, trial ended — checked
  against the port snapshot at exchange time, even if the close has not revoked the code yet;
- 45011 more than 100 exchanges by one user for one mini program within a minute (see
  ``ratelimit``).

Codes are single use because a leaked code (a log line, a referrer) must not sign anyone else
in. The claim is one conditional ``UPDATE … WHERE used_at IS NULL AND revoked_at IS NULL``:
of two exchanges of one code racing (in two processes), exactly one changes the row.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select, update

from miniport.common.prepared import Prepared
from miniport.common.tokens import digest
from miniport.platform.accounts.models import User
from miniport.platform.miniprogram_api.context import ApiContext
from miniport.platform.miniprogram_api.directory import MiniProgramEntry
from miniport.platform.miniprogram_api.errors import (
    BlockedUser,
    InvalidCode,
    InvalidGrantType,
    PortClosed,
    RateLimited,
)
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.ports.decision import NO_PORT, decide_port

GRANT_TYPE = "authorization_code"
MAX_CODE_LENGTH = 128

# Built once and run on the driver's cursor (``common.prepared``): on this hot path,
# SQLAlchemy's execution of a statement costs several times what SQLite takes to run it.
_CODES = cast(Table, LaunchCode.__table__)
_USERS = cast(Table, User.__table__)
_CODE_STATE = Prepared(
    select(
        _CODES.c.appid,
        _CODES.c.client_id,
        _CODES.c.port_id,
        _CODES.c.user_id,
        _CODES.c.used_at,
        _CODES.c.revoked_at,
        _CODES.c.expires_at,
        _USERS.c.blocked,
    )
    .join(_USERS, _USERS.c.id == _CODES.c.user_id)
    .where(_CODES.c.digest == bindparam("code_digest"))
)
_CLAIM = Prepared(
    update(_CODES)
    .where(
        _CODES.c.digest == bindparam("code_digest"),
        _CODES.c.used_at.is_(None),
        _CODES.c.revoked_at.is_(None),
        _CODES.c.expires_at > bindparam("now"),
    )
    .values(used_at=bindparam("claimed_at"), openid=bindparam("openid"))
)


@dataclass(frozen=True, slots=True)
class CodeSession:
    openid: str
    session_key: str
    unionid: str

    def as_dict(self) -> dict[str, Any]:
        return {"openid": self.openid, "session_key": self.session_key, "unionid": self.unionid}


@dataclass(frozen=True, slots=True)
class ExchangeRequest:
    """An exchange by an authenticated mini program; ``claim`` looks the code up."""

    mini_program: MiniProgramEntry
    code_digest: str


def check_request(context: ApiContext, query: Mapping[str, str]) -> ExchangeRequest:
    """The checks that need no database: grant type, the mini program's credentials, the code
    parameter (the directory serves the credentials from memory)."""
    if query.get("grant_type") != GRANT_TYPE:
        raise InvalidGrantType(f"invalid grant_type, expected {GRANT_TYPE}")
    entry = context.mini_programs.authenticate(query.get("appid"), query.get("secret"))
    js_code = query.get("js_code")
    if not js_code:
        raise InvalidCode("invalid code: js_code missing")
    if len(js_code) > MAX_CODE_LENGTH:
        raise InvalidCode("invalid code")
    return ExchangeRequest(mini_program=entry, code_digest=digest(js_code))


def claim(connection: Connection, context: ApiContext, request: ExchangeRequest) -> CodeSession:
    """Use up the code (in ``connection``'s transaction; the caller commits) and derive the
    user's ids.

    Every refusal is raised before the claim writes, so a refused code stays as it was and a
    caller may commit the transaction for the sake of other work sharing it.
    """
    appid = request.mini_program.appid
    row = _CODE_STATE.first(connection, {"code_digest": request.code_digest})
    # Another mini program's code is answered like an unknown one: the caller learns nothing
    # about codes that are not its own, and cannot burn them.
    if row is None or row[0] != appid:
        raise InvalidCode("invalid code")
    _, client_id, port_id, user_id, used_at, revoked_at, expires_at, blocked = row
    if used_at is not None:
        raise InvalidCode("code been used")
    # The rollout was decided at launch with the host's user key, which the code does not
    # carry; what can stop the code in its five minutes is the port's state, a host
    # suspension or the end of a trial: the port-level decision.
    decision = decide_port(
        context.ports.current(), client_id=client_id, appid=appid, now=context.now
    )
    if decision.open and decision.port_id != port_id:
        decision = NO_PORT  # not the port the code was issued under
    if revoked_at is not None:
        if not decision.open:
            raise PortClosed(decision.reason)
        raise InvalidCode("invalid code: revoked when its port was closed")
    if expires_at <= context.now:
        raise InvalidCode("invalid code: expired")
    if blocked:
        raise BlockedUser()
    if not decision.open:
        raise PortClosed(decision.reason)
    if not context.exchange_limiter.allow(
        user_id=user_id, appid=appid, exchange=request.code_digest
    ):
        raise RateLimited()
    openid = context.identifiers.openid(user_id=user_id, appid=appid)
    # The claim records the openid so that an order reported for it later can be traced to
    # this launch, and so to its host (``orders``).
    claimed = _CLAIM.rowcount(
        connection,
        {
            "code_digest": request.code_digest,
            "now": context.now,
            "claimed_at": context.now,
            "openid": openid,
        },
    )
    if not claimed:
        # Another process claimed (or a close revoked) it between our read and this write.
        raise InvalidCode("code been used")
    return CodeSession(
        openid=openid,
        session_key=base64.b64encode(secrets.token_bytes(16)).decode("ascii"),
        unionid=context.identifiers.unionid(
            user_id=user_id, brand_id=request.mini_program.brand_id
        ),
    )
