"""The governance API for partners: host apps manage and check their ports, brands answer
requests and govern the ports of their mini program.

- Hosts authenticate with a ``client_credentials`` access token of scope ``ports``
  (``Authorization: Bearer …``).
- Brands authenticate with their mini program's access token (``?access_token=`` from
  ``/cgi-bin/token``) and act on that mini program's ports only.

Errors are JSON ``{"error", "error_description"}``: token problems through the OAuth error
mapping (401 with a ``Bearer`` challenge, 403 ``insufficient_scope``), port refusals through
the ``PortError`` mapping (404, 409, 403, 400), malformed input as 400 ``invalid_request``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)
from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.oauth import token_store
from miniport.platform.oauth.errors import InvalidToken
from miniport.platform.ports import api, lifecycle
from miniport.platform.ports.check import PortChecker
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.models import Port
from miniport.platform.ports.states import (
    Actor,
    ActorKind,
    PortPolicy,
    PortState,
    ReasonCategory,
)
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web import openapi_docs
from miniport.platform.web.deps import DbSession, ReadDbSession, RuntimeDep
from miniport.platform.web.errors import NO_STORE
from miniport.platform.web.fastpath import PlatformApp
from miniport.platform.web.routes.ports_check import (
    CHECK_PATH,
    CheckRoute,
    bearer_value,
    host_of,
)
from miniport.platform.web.routes.ports_check import OPENAPI as CHECK_OPENAPI


async def _utf8_body(request: Request) -> None:
    """JSON between systems is UTF-8 (RFC 8259, section 8.1). The parser behind the body
    models would also take UTF-16 and UTF-32, which the mini-program API refuses; so here."""
    body = await request.body()
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        raise api.InvalidPortRequest("the request body is not UTF-8 JSON") from None
    # UTF-16 and UTF-32 without a byte-order mark decode as UTF-8 with NULs in them; a NUL
    # has no place anywhere in UTF-8 JSON text.
    if b"\x00" in body:
        raise api.InvalidPortRequest("the request body is not UTF-8 JSON")


router = APIRouter(tags=["Ports"], dependencies=[Depends(_utf8_body)])

# Port ids and counters are 32-bit integers on PostgreSQL: larger values are bad input,
# not a database error.
MAX_INT32 = 2_147_483_647

# Text a person typed: no control characters other than line breaks and tabs (PostgreSQL
# refuses NUL outright, and nothing else has a use in a reason). Checked as sent, and only
# then stripped: so the documented pattern and length are exactly what is refused.
_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# The same, with at least one character that stripping keeps: not blank. The class lists
# every character ``str.strip`` removes (Python's whitespace; ``\s`` differs among regex
# engines, and the server, the schema's readers and its fuzzer use three).
_VISIBLE = r"[^\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_NOT_BLANK_PATTERN = (
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*" + _VISIBLE + r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
)


_STRIP = AfterValidator(str.strip)
ApplyReason = Annotated[
    str,
    StringConstraints(strict=True, max_length=api.MAX_APPLY_REASON, pattern=_NOT_BLANK_PATTERN),
    _STRIP,
]
Message = Annotated[
    str,
    StringConstraints(strict=True, max_length=api.MAX_MESSAGE, pattern=_NOT_BLANK_PATTERN),
    _STRIP,
]
OptionalMessage = Annotated[
    str, StringConstraints(strict=True, max_length=api.MAX_MESSAGE, pattern=_TEXT_PATTERN), _STRIP
]
Appid = Annotated[
    str, StringConstraints(strict=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
UserKey = Annotated[
    str,
    StringConstraints(
        strict=True,
        max_length=128,
        pattern=r"^[^\x00-\x1f\x7f]*" + _VISIBLE + r"[^\x00-\x1f\x7f]*$",
    ),
    _STRIP,
]


def _whole_number(value: object) -> object:
    """JSON Schema counts 3.0 as an integer (a number with a zero fractional part), so the
    API takes it as 3; booleans and strings stay refused."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


# Last in each ``Annotated``: placed before the bounds, pydantic writes them into the schema
# as ``ge``/``le`` instead of ``minimum``/``maximum``.
_WHOLE = BeforeValidator(_whole_number)


def _in_utc(value: dt.datetime) -> dt.datetime:
    # Stored in UTC: a time that has no UTC equivalent (year 9999 at -05:00) is bad input,
    # not an overflow in the database layer.
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


TrialEnd = Annotated[AwareDatetime, AfterValidator(_in_utc)]
Version = Annotated[StrictInt, Field(ge=1, le=MAX_INT32), _WHOLE]
PortId = Annotated[int, Path(ge=1, le=MAX_INT32, description="The port's id.")]
StateFilter = Annotated[
    str | None,
    Query(
        description="Only ports in this state.",
        json_schema_extra={"enum": [state.value for state in PortState]},
    ),
]
Authorization = Annotated[str | None, Header()]
AccessToken = Annotated[
    str | None,
    Query(max_length=512, description="The mini program's access token (/cgi-bin/token)."),
]


class ErrorBody(BaseModel):
    error: str
    error_description: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Malformed input (invalid_request, invalid_staging)"),
        (401, "Missing, invalid, expired or revoked token (invalid_token)"),
        (403, "insufficient_scope, or a move this party may not make (not_allowed)"),
        (404, "No such port for this caller (port_not_found)"),
        (409, "An illegal transition, or a stale expected_version"),
    )
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplyBody(Strict):
    appid: Appid
    reason: ApplyReason


class WithdrawBody(Strict):
    reason: OptionalMessage = ""


class ApproveBody(Strict):
    reason: OptionalMessage = ""
    expected_version: Version | None = None


class RejectBody(Strict):
    message: Message
    expected_version: Version | None = None


class CloseBody(Strict):
    reason_category: Literal["policy", "security", "partner_request", "other"]
    reason: Message
    expected_version: Version | None = None


class PolicyBody(Strict):
    policy: PortPolicy


class StagingBody(Strict):
    rollout_percent: Annotated[StrictInt, Field(ge=0, le=100), _WHOLE]
    allow_list: Annotated[list[UserKey], Field(max_length=lifecycle.MAX_ALLOW_LIST)]
    trial_ends_at: TrialEnd | None
    daily_launch_quota: Annotated[StrictInt, Field(ge=0, le=MAX_INT32), _WHOLE] | None
    expected_version: Version | None = None


# --- who is calling ------------------------------------------------------------------------


def host_client_id(runtime: PlatformRuntime, authorization: str | None) -> str:
    """The host app a bearer token speaks for (may read the database on a cache miss)."""
    value = bearer_value(authorization)
    return host_of(token_store.lookup(runtime.tokens, runtime.read_engine, value, utcnow()))


def brand_appid(runtime: PlatformRuntime, access_token: str | None) -> str:
    if not access_token:
        raise InvalidToken("send the mini program's access token as ?access_token=")
    appid = runtime.mp_tokens.appid_for(access_token, utcnow())
    if appid is None:
        raise InvalidToken("the access token is invalid or expired")
    return appid


def _json(body: object, status_code: int = 200) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")),
        status_code=status_code,
        media_type="application/json",
        headers=NO_STORE,
    )


def _committed(db: Session, port: Port, status_code: int = 200) -> Response:
    """Commit a port change and answer with the port's detail."""
    # Read in the same transaction, before it commits: no second transaction just to read.
    view = api.port_detail(db, port)
    # The commit publishes the change: this worker's snapshot is rebuilt before we answer.
    db.commit()
    return _json(view, status_code=status_code)


# --- hosts ---------------------------------------------------------------------------------


@router.post(
    "/api/ports", status_code=201, summary="Apply for a port to a mini program", responses=ERRORS
)
def apply(
    body: ApplyBody, db: DbSession, runtime: RuntimeDep, authorization: Authorization = None
) -> Response:
    client_id = host_client_id(runtime, authorization)
    existed = lifecycle.find_port(db, client_id=client_id, appid=body.appid) is not None
    port = lifecycle.apply_for_port(
        db,
        client_id=client_id,
        appid=body.appid,
        reason_text=body.reason,
        actor=Actor(ActorKind.HOST, client_id),
        now=utcnow(),
    )
    return _committed(db, port, status_code=200 if existed else 201)


@router.get("/api/ports", summary="List this host's ports", responses=ERRORS)
def list_ports(
    db: ReadDbSession,
    runtime: RuntimeDep,
    state: StateFilter = None,
    authorization: Authorization = None,
) -> Response:
    client_id = host_client_id(runtime, authorization)
    return _json(api.host_ports(db, client_id, state=api.parse_state(state)))


@router.get(
    "/api/ports/{port_id}", summary="One of this host's ports, with its history", responses=ERRORS
)
def show_port(
    port_id: PortId, db: ReadDbSession, runtime: RuntimeDep, authorization: Authorization = None
) -> Response:
    client_id = host_client_id(runtime, authorization)
    return _json(api.port_detail(db, api.host_port(db, client_id, port_id)))


@router.post(
    "/api/ports/{port_id}/withdraw", summary="Withdraw a pending request", responses=ERRORS
)
def withdraw(
    port_id: PortId,
    db: DbSession,
    runtime: RuntimeDep,
    body: WithdrawBody | None = None,
    authorization: Authorization = None,
) -> Response:
    client_id = host_client_id(runtime, authorization)
    port = lifecycle.withdraw(
        db,
        api.host_port(db, client_id, port_id).id,
        actor=Actor(ActorKind.HOST, client_id),
        reason=Reason(ReasonCategory.REQUEST, body.reason if body else ""),
        now=utcnow(),
    )
    return _committed(db, port)


# --- brands --------------------------------------------------------------------------------


def _brand_move(
    db: Session,
    appid: str,
    port_id: int,
    move: lifecycle.PortMove,
    *,
    category: ReasonCategory,
    text: str,
    expected_version: int | None,
) -> Response:
    """Move one of the brand's ports and answer with its detail."""
    port = move(
        db,
        api.brand_port(db, appid, port_id).id,
        actor=api.brand_actor(db, appid),
        reason=Reason(category, text),
        now=utcnow(),
        expected_version=expected_version,
    )
    return _committed(db, port)


@router.get("/api/brand/ports", summary="Requests and ports of this mini program", responses=ERRORS)
def brand_list(
    db: ReadDbSession,
    runtime: RuntimeDep,
    access_token: AccessToken = None,
    state: StateFilter = None,
) -> Response:
    appid = brand_appid(runtime, access_token)
    return _json(api.brand_ports(db, appid, state=api.parse_state(state)))


@router.get("/api/brand/ports/{port_id}", summary="One port, with its history", responses=ERRORS)
def brand_show(
    port_id: PortId, db: ReadDbSession, runtime: RuntimeDep, access_token: AccessToken = None
) -> Response:
    appid = brand_appid(runtime, access_token)
    return _json(api.port_detail(db, api.brand_port(db, appid, port_id)))


@router.post(
    "/api/brand/ports/{port_id}/approve", summary="Approve a port request", responses=ERRORS
)
def brand_approve(
    port_id: PortId,
    db: DbSession,
    runtime: RuntimeDep,
    body: ApproveBody | None = None,
    access_token: AccessToken = None,
) -> Response:
    appid = brand_appid(runtime, access_token)
    body = body or ApproveBody()
    return _brand_move(
        db,
        appid,
        port_id,
        lifecycle.approve,
        category=ReasonCategory.REQUEST,
        text=body.reason or "approved by the brand",
        expected_version=body.expected_version,
    )


@router.post("/api/brand/ports/{port_id}/reject", summary="Reject a port request", responses=ERRORS)
def brand_reject(
    port_id: PortId,
    body: RejectBody,
    db: DbSession,
    runtime: RuntimeDep,
    access_token: AccessToken = None,
) -> Response:
    return _brand_move(
        db,
        brand_appid(runtime, access_token),
        port_id,
        lifecycle.reject,
        category=ReasonCategory.REQUEST,
        text=body.message,
        expected_version=body.expected_version,
    )


@router.post("/api/brand/ports/{port_id}/close", summary="Close an open port", responses=ERRORS)
def brand_close(
    port_id: PortId,
    body: CloseBody,
    db: DbSession,
    runtime: RuntimeDep,
    access_token: AccessToken = None,
) -> Response:
    return _brand_move(
        db,
        brand_appid(runtime, access_token),
        port_id,
        lifecycle.close,
        category=ReasonCategory(body.reason_category),
        text=body.reason,
        expected_version=body.expected_version,
    )


@router.post(
    "/api/brand/ports/{port_id}/staging",
    summary="Stage an open port: rollout, allow-list, trial end, daily launch quota",
    responses=ERRORS,
)
def brand_staging(
    port_id: PortId,
    body: StagingBody,
    db: DbSession,
    runtime: RuntimeDep,
    access_token: AccessToken = None,
) -> Response:
    appid = brand_appid(runtime, access_token)
    port = lifecycle.set_staging(
        db,
        api.brand_port(db, appid, port_id).id,
        actor=api.brand_actor(db, appid),
        rollout_percent=body.rollout_percent,
        allow_list=body.allow_list,
        trial_ends_at=body.trial_ends_at,
        daily_launch_quota=body.daily_launch_quota,
        now=utcnow(),
        expected_version=body.expected_version,
    )
    return _committed(db, port)


@router.post(
    "/api/brand/policy",
    summary="How this mini program answers port requests: review, auto_approve, auto_refuse",
    responses=ERRORS,
)
def brand_policy(
    body: PolicyBody, db: DbSession, runtime: RuntimeDep, access_token: AccessToken = None
) -> Response:
    appid = brand_appid(runtime, access_token)
    lifecycle.set_policy(
        db, appid=appid, policy=body.policy, actor=api.brand_actor(db, appid), now=utcnow()
    )
    db.commit()
    return _json({"appid": appid, "policy": body.policy.value})


def install(app: PlatformApp, runtime: PlatformRuntime) -> None:
    """Mount the routes, and ``check`` on the app's lean path."""
    checker = PortChecker(
        runtime.ports,
        runtime.read_sessions,
        link_ttl=runtime.settings.link_cache_seconds,
        card_ttl=runtime.settings.card_cache_seconds,
    )
    runtime.bus.subscribe(checker.on_change)
    app.include_router(router)
    app.add_fast_routes([CheckRoute(runtime, checker).route()])
    openapi_docs.document(app, {CHECK_PATH: CHECK_OPENAPI})
