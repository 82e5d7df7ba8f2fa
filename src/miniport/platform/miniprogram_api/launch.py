"""``POST /wxa/launch?access_token=<run ticket>`` — a host app starts a mini program for its user.

Mirrors the host-app launch contract of the mini-program API family: the target ``appid``, a
``path`` that may carry a query, and scene **1069** ("opened from a mobile app"). Body
``{"appid", "path", "query"?, "user_key"}``; ``user_key`` is the host's opaque key for its
user, the same it passed to the port ``check``, so a staged rollout answers both alike.
Answer ``{"errcode": 0, "errmsg": "ok", "launch_url", "code", "expires_in": 300,
"scene": 1069}``; ``launch_url`` is the mini program's entry URL carrying ``code``, ``scene``,
``path`` and ``host`` (the launching host app's client id). The code is the mini program's
``js_code`` for ``jscode2session``.

Refusals, in the order they are checked (47001 / 40097 for an unreadable body come first):

- 40001 the run ticket is missing, unknown, expired or revoked, is not a user's access token,
  or does not cover ``appid`` (a credential that does not reach that far, not a port matter);
  but a ticket revoked *by the close of this very port* answers 89300, so the host learns
  why;
- 40013 ``appid`` is not registered (any more);
- 40165 ``path`` is not one of the mini program's pages; 40212 the query is not acceptable;
- 89300 the port decision says closed (``port closed: <reason>``);
- 89300 the port's row, re-read in the write transaction, is no longer open (a close
  committing now, or not yet announced to this worker);
- 45009 the port's daily launch quota is spent.

Two steps: ``plan_launch`` makes every check that needs no write, from memory (ticket cache,
mini-program directory, port snapshot); ``issue_code`` re-reads the port, takes the quota and
writes the code, in a transaction the caller may share with other launches.

Only the SHA-256 digest of a launch code is stored; the code itself is 256 random bits, lives
five minutes and is bound to the appid, host, port, user and path it was issued for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote, urlsplit

from sqlalchemy import Connection, Table, bindparam, exists, select

from miniport.common.prepared import Prepared
from miniport.common.tokens import digest, new_secret
from miniport.platform.miniprogram_api import pages, params, quotas
from miniport.platform.miniprogram_api.context import ApiContext
from miniport.platform.miniprogram_api.errors import (
    InvalidAppid,
    InvalidCredential,
    MiniProgramApiError,
    PortClosed,
    QuotaReached,
)
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.oauth import token_store
from miniport.platform.oauth.models import IssuedToken, IssuedTokenApp
from miniport.platform.ports.decision import decide
from miniport.platform.ports.models import HostSuspension, Port
from miniport.platform.ports.states import PortState

LAUNCH_CODE_LIFETIME = dt.timedelta(minutes=5)
SCENE_FROM_APP = 1069
MAX_USER_KEY_LENGTH = 128

# Statements are built once and run on the driver's cursor (``common.prepared``): on this
# hot path, building a statement, and SQLAlchemy's execution of it, each cost more than
# SQLite takes to run it.
_PORTS = cast(Table, Port.__table__)
_PORT_FOR_LAUNCH = Prepared(
    select(
        _PORTS.c.state,
        _PORTS.c.daily_launch_quota,
        exists().where(HostSuspension.__table__.c.client_id == bindparam("client_id")),
    )
    .where(_PORTS.c.id == bindparam("port_id"))
    .with_for_update(read=True, of=_PORTS)
)
_CODE_COLUMNS = (
    "digest",
    "appid",
    "client_id",
    "port_id",
    "user_id",
    "path",
    "scene",
    "created_at",
    "expires_at",
)
_INSERT_CODE = Prepared.insert(cast(Table, LaunchCode.__table__), _CODE_COLUMNS)
_TOKENS, _TOKEN_APPS = IssuedToken.__table__.c, IssuedTokenApp.__table__.c
_REVOKED_TICKET = Prepared(
    select(_TOKENS.kind, _TOKENS.user_id, _TOKENS.client_id, _TOKENS.expires_at)
    .join(IssuedTokenApp.__table__, _TOKEN_APPS.digest == _TOKENS.digest)
    .where(
        _TOKENS.digest == bindparam("digest"),
        _TOKENS.revoked_at.is_not(None),
        _TOKEN_APPS.appid == bindparam("appid"),
    )
)


@dataclass(frozen=True, slots=True)
class LaunchRequest:
    appid: str
    path: str
    query: str | None
    user_key: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> LaunchRequest:
        return cls(
            appid=params.required_text(body, "appid", max_length=64),
            path=params.required_text(body, "path", max_length=2 * pages.MAX_PATH_LENGTH),
            query=params.text(body, "query", max_length=2 * pages.MAX_QUERY_LENGTH),
            user_key=params.required_text(body, "user_key", max_length=MAX_USER_KEY_LENGTH),
        )


@dataclass(frozen=True, slots=True)
class Launch:
    launch_url: str
    code: str
    expires_in: int
    scene: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "errcode": 0,
            "errmsg": "ok",
            "launch_url": self.launch_url,
            "code": self.code,
            "expires_in": self.expires_in,
            "scene": self.scene,
        }


@dataclass(frozen=True, slots=True)
class LaunchPlan:
    """A launch every in-memory check allowed; ``issue_code`` writes it."""

    appid: str
    client_id: str
    user_id: int
    port_id: int
    path: str
    entry_url: str
    now: dt.datetime


def plan_launch(
    context: ApiContext, *, access_token: str | None, request: LaunchRequest
) -> LaunchPlan:
    """Every check that needs no write: the ticket, the appid, the page, the port decision.

    Runs before the request joins a write transaction, so refusals cost no database work
    (the ticket comes from the token cache; the decision from the port snapshot).
    """
    now = context.now
    ticket = (
        token_store.lookup(context.run_tickets, context.read_engine, access_token, now)
        if access_token
        else None
    )
    if ticket is None:
        raise _dead_ticket(context, access_token, request)
    if ticket.kind != token_store.ACCESS or ticket.user_id is None:
        raise InvalidCredential("invalid credential: access_token is not a user's run ticket")
    if request.appid not in ticket.appids:
        raise InvalidCredential(
            f"invalid credential: access_token does not cover appid {request.appid}"
        )
    entry = context.mini_programs.get(request.appid)
    if entry is None:
        raise InvalidAppid(f"invalid appid: {request.appid}")
    path = pages.target(entry, request.path, request.query)
    decision = decide(
        context.ports.current(),
        client_id=ticket.client_id,
        appid=request.appid,
        user_key=request.user_key,
        now=now,
    )
    if not decision.open or decision.port_id is None:
        raise PortClosed(decision.reason)
    return LaunchPlan(
        appid=request.appid,
        client_id=ticket.client_id,
        user_id=ticket.user_id,
        port_id=decision.port_id,
        path=path,
        entry_url=entry.entry_url,
        now=now,
    )


# What a transaction read of a port: (state, daily quota, host suspended).
PortRead = tuple[str, int | None, bool]


def issue_code(
    connection: Connection,
    plan: LaunchPlan,
    *,
    ports_read: dict[tuple[int, str], PortRead] | None = None,
    rows: list[dict[str, Any]] | None = None,
) -> Launch:
    """Write the launch code in ``connection``'s transaction (the caller commits).

    Refusals (89300, 45009) are raised before anything is written, so a caller may also
    commit the transaction after one, for the sake of other work sharing it. Launches that
    share one transaction may share ``ports_read`` (see ``_hold_open_port``) and ``rows``:
    given ``rows``, the code's row is added there instead of inserted, and the caller
    writes them all with ``insert_codes`` before it commits — one statement for a batch.
    """
    _hold_open_port(
        connection,
        port_id=plan.port_id,
        client_id=plan.client_id,
        now=plan.now,
        ports_read={} if ports_read is None else ports_read,
    )
    code = new_secret(32)
    row = {
        "digest": digest(code),
        "appid": plan.appid,
        "client_id": plan.client_id,
        "port_id": plan.port_id,
        "user_id": plan.user_id,
        "path": plan.path,
        "scene": SCENE_FROM_APP,
        "created_at": plan.now,
        "expires_at": plan.now + LAUNCH_CODE_LIFETIME,
    }
    if rows is None:
        insert_codes(connection, [row])
    else:
        rows.append(row)
    return Launch(
        launch_url=_launch_url(plan.entry_url, code=code, path=plan.path, host=plan.client_id),
        code=code,
        expires_in=int(LAUNCH_CODE_LIFETIME.total_seconds()),
        scene=SCENE_FROM_APP,
    )


def insert_codes(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert the rows ``issue_code`` collected (in ``connection``'s transaction)."""
    _INSERT_CODE.many(connection, rows)


def _hold_open_port(
    connection: Connection,
    *,
    port_id: int,
    client_id: str,
    now: dt.datetime,
    ports_read: dict[tuple[int, str], PortRead],
) -> None:
    """Re-read the port inside this transaction, and take a unit of its daily quota.

    The snapshot said open, but a close may be committing right now. Reading the row here
    orders this launch against it: on SQLite this transaction began IMMEDIATE, holding the
    one write lock, and on PostgreSQL ``FOR SHARE`` waits for a close that updated the row. So
    either the close commits first and this launch is refused, or this code is committed
    first and the close's cut-off revokes it: no live code survives a close.

    The same locks keep the row as read until the transaction ends, so launches sharing the
    transaction reuse the first read (``ports_read``); the quota is still taken one by one.
    """
    key = (port_id, client_id)
    read = ports_read.get(key)
    if read is None:
        row = _PORT_FOR_LAUNCH.first(connection, {"port_id": port_id, "client_id": client_id})
        read = ("missing", None, False) if row is None else (row[0], row[1], bool(row[2]))
        ports_read[key] = read
    state, quota, is_suspended = read
    if state == "missing":
        raise PortClosed("no_port")
    if is_suspended:
        raise PortClosed("host_suspended")
    if state != PortState.OPEN:
        raise PortClosed(f"port_{state}")
    if quota is not None and not quotas.take(
        connection, key=quotas.launch_key(port_id), limit=quota, now=now
    ):
        raise QuotaReached(f"reach max api daily quota limit: {quota} launches a day")


def _dead_ticket(
    context: ApiContext, access_token: str | None, request: LaunchRequest
) -> MiniProgramApiError:
    """Why a ticket that did not look up is refused: 89300 when a close of this port killed
    it (the reason the host should hear), 40001 for every other dead or unknown ticket.

    Runs only on this failure path, so it costs the hot path nothing.
    """
    if not access_token:
        return InvalidCredential("invalid credential: access_token missing")
    with context.read_engine.connect() as connection:
        row = _REVOKED_TICKET.first(
            connection, {"digest": digest(access_token), "appid": request.appid}
        )
    if row is None:
        return InvalidCredential("invalid credential: access_token is invalid, expired or revoked")
    kind, user_id, client_id, expires_at = row
    if kind == token_store.ACCESS and user_id is not None and context.now < expires_at:
        decision = decide(
            context.ports.current(),
            client_id=client_id,
            appid=request.appid,
            user_key=request.user_key,
            now=context.now,
        )
        if not decision.open:
            return PortClosed(decision.reason)
    return InvalidCredential("invalid credential: access_token is invalid, expired or revoked")


def _launch_url(entry_url: str, *, code: str, path: str, host: str) -> str:
    separator = "&" if urlsplit(entry_url).query else "?"
    # The code is unpadded base64url, the scene a number and the host a client id (letters
    # and digits): only the path needs escaping. ``host`` names the app the user came from,
    # as the API family's referrer info does for scene 1069; it is attribution for the
    # brand's reports, never a credential (the code alone decides who the user is).
    return (
        f"{entry_url}{separator}code={code}&scene={SCENE_FROM_APP}"
        f"&path={quote(path, safe='')}&host={quote(host, safe='')}"
    )
