"""The mini-program API (errcode/errmsg face): access tokens, launch, jscode2session, URL links.

Handlers read the query string and body strictly (``miniprogram_api.params``), call the
domain functions of ``miniprogram_api``, commit, and answer JSON. Refusals are
``MiniProgramApiError``\\s, answered as HTTP 200 errcode JSON by ``web.mp_errors``. Nothing
here lets FastAPI validate parameters: malformed input must get this family's errcodes, never
a 422.

Two kinds of handler, one implementation of each endpoint:

- ``launch`` and ``jscode2session`` run on every mini-program start, so they are served by
  the lean ASGI path of ``web.fastpath`` (no router, no CSRF or locale middleware), and their
  writes share transactions through ``web.group_commit``: on SQLite a BEGIN/COMMIT per request
  would cost more than the insert. Their in-memory checks (ticket cache, mini-program
  directory, port snapshot) run first; only the writes join a batch.
- the access-token and URL-link calls are ordinary FastAPI routes, run in the worker threads.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from miniport.common import openapi
from miniport.common.clock import utcnow
from miniport.common.db import before_commit
from miniport.platform.miniprogram_api import (
    credentials,
    jscode2session,
    launch,
    orders,
    params,
    urllink,
)
from miniport.platform.miniprogram_api.context import ApiContext
from miniport.platform.miniprogram_api.errors import (
    MalformedData,
    MiniProgramApiError,
    busy_on_database_errors,
)
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web import openapi_docs
from miniport.platform.web.deps import get_runtime
from miniport.platform.web.fastpath import (
    NO_STORE_HEADERS,
    Answer,
    FastRoute,
    PlatformApp,
    json_bytes,
    read_body,
)
from miniport.platform.web.group_commit import GroupCommit
from miniport.platform.web.mp_errors import mp_error_bytes, mp_json
from miniport.platform.web.templating import PAGE_HEADERS

TAG = "Mini-program API"
router = APIRouter(tags=[TAG])

T = TypeVar("T")

# Per-transaction state of a batch of writes, kept in the batch session's ``info``.
_SHARED = "miniport.mp_hot_paths"


@dataclass(slots=True)
class _Shared:
    connection: Connection
    ports_read: dict[tuple[int, str], launch.PortRead] = field(default_factory=dict)
    # The batch's launch codes, inserted by one statement just before it commits.
    codes: list[dict[str, Any]] = field(default_factory=list)


def _context(runtime: PlatformRuntime) -> ApiContext:
    return ApiContext(
        mini_programs=runtime.mp_directory,
        ports=runtime.ports,
        run_tickets=runtime.tokens,
        read_engine=runtime.read_engine,
        access_tokens=runtime.mp_tokens,
        identifiers=runtime.identifiers,
        exchange_limiter=runtime.mp_exchange_limiter,
        base_url=runtime.settings.base_url,
        now=utcnow(),
    )


def _query(request: Request) -> dict[str, str]:
    return params.query_values(request.scope.get("query_string", b""))


def _body_too_large() -> MalformedData:
    return MalformedData("data format error: body larger than 64 kB")


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await read_body(request, limit=params.MAX_BODY_BYTES, too_large=_body_too_large)
    return params.json_object(raw)


# --- the hot paths: launch and jscode2session -----------------------------------------------


class MiniProgramHotPaths:
    """``POST /wxa/launch`` and ``GET /sns/jscode2session`` over one platform runtime."""

    def __init__(self, runtime: PlatformRuntime) -> None:
        self.runtime = runtime
        # Checkpoints on the background thread, as for tokens: a batch that crosses the WAL
        # threshold must not checkpoint (and fsync) on the event loop.
        self.writes = GroupCommit(runtime.sessions, checkpoints=runtime.checkpoints)

    async def _write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in the next shared transaction; its refusal is raised here."""

        def unit(session: Session) -> T | MiniProgramApiError:
            try:
                return work(session)
            except MiniProgramApiError as refusal:
                # Returned, not raised: the domain refuses before writing anything, so the
                # batch need not roll back and re-run the other requests' work.
                return refusal

        result = await self.writes.run(unit)
        if isinstance(result, MiniProgramApiError):
            raise result
        return result

    @staticmethod
    def _shared(session: Session) -> _Shared:
        """What the requests of one batch share: its connection, and the ports it has read."""
        shared: _Shared | None = session.info.get(_SHARED)
        if shared is None:
            shared = session.info[_SHARED] = _Shared(session.connection())
            codes = shared.codes
            connection = shared.connection
            # Dropped with the session if the batch rolls back: a request that failed takes
            # its code with it, and the batch run again collects its codes anew.
            before_commit(session, lambda: launch.insert_codes(connection, codes))
        return shared

    def _issue(self, session: Session, plan: launch.LaunchPlan) -> launch.Launch:
        shared = self._shared(session)
        return launch.issue_code(
            shared.connection, plan, ports_read=shared.ports_read, rows=shared.codes
        )

    async def launch(self, request: Request) -> Answer:
        try:
            with busy_on_database_errors():
                query = _query(request)
                wanted = launch.LaunchRequest.from_json(await _json_body(request))
                plan = launch.plan_launch(
                    _context(self.runtime), access_token=query.get("access_token"), request=wanted
                )
                issued = await self._write(lambda session: self._issue(session, plan))
        except MiniProgramApiError as error:
            return Answer(mp_error_bytes(error), headers=NO_STORE_HEADERS)
        return Answer(json_bytes(issued.as_dict()), headers=NO_STORE_HEADERS)

    async def jscode2session(self, request: Request) -> Answer:
        try:
            with busy_on_database_errors():
                context = _context(self.runtime)
                exchange = jscode2session.check_request(context, _query(request))
                ids = await self._write(
                    lambda session: jscode2session.claim(
                        self._shared(session).connection, context, exchange
                    )
                )
        except MiniProgramApiError as error:
            return Answer(mp_error_bytes(error), headers=NO_STORE_HEADERS)
        return Answer(json_bytes(ids.as_dict()), headers=NO_STORE_HEADERS)

    def routes(self) -> list[FastRoute]:
        return [
            FastRoute(
                "/wxa/launch", frozenset({"POST"}), self.launch, LAUNCH_DOCS, failure=_FAILURE
            ),
            FastRoute(
                "/sns/jscode2session",
                frozenset({"GET"}),
                self.jscode2session,
                JSCODE2SESSION_DOCS,
                failure=_FAILURE,
            ),
        ]


# A bug, not a refusal: still this family's body, so an SDK reads an errcode, but a 500 so
# that nobody mistakes it for the retryable "system busy" (-1 with HTTP 200).
_FAILURE = Answer(
    json_bytes({"errcode": -1, "errmsg": "system error"}), status=500, headers=NO_STORE_HEADERS
)


# A refusal: any errcode but 0. Successes either carry ``errcode: 0`` or (the token and the
# code exchange, as this API family answers them) no errcode at all but their own required
# fields; so exactly one branch of each ``oneOf`` below matches any answer.
_REFUSAL: dict[str, Any] = {
    "type": "object",
    "required": ["errcode", "errmsg"],
    "properties": {
        "errcode": {"type": "integer", "not": {"const": 0}},
        "errmsg": {"type": "string"},
    },
}


def _ok(properties: dict[str, Any], required: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A success that carries ``errcode: 0`` and ``errmsg: "ok"`` beside ``properties``."""
    return {
        "type": "object",
        "required": ["errcode", "errmsg", *(required if required is not None else properties)],
        "properties": {
            "errcode": {"type": "integer", "const": 0},
            "errmsg": {"type": "string"},
            **properties,
        },
    }


def _errcode_responses(success: dict[str, Any]) -> dict[str, Any]:
    return {
        "200": {
            "description": "The answer, or a refusal as {errcode, errmsg} (always HTTP 200)",
            "content": {"application/json": {"schema": {"oneOf": [success, _REFUSAL]}}},
        }
    }


def _errcode_docs(summary: str, operation_id: str, success: dict[str, Any]) -> dict[str, Any]:
    return {
        "tags": [TAG],
        "summary": summary,
        "operationId": operation_id,
        "responses": _errcode_responses(success),
    }


def _strings(*names: str) -> dict[str, Any]:
    return {name: {"type": "string"} for name in names}


_ACCESS_TOKEN: dict[str, Any] = {
    "type": "object",
    "required": ["access_token", "expires_in"],
    "properties": {"access_token": {"type": "string"}, "expires_in": {"type": "integer"}},
}


LAUNCH_DOCS: dict[str, Any] = {
    "post": {
        **_errcode_docs(
            "Launch a mini program with a user's run ticket",
            "wxa_launch",
            _ok(
                {
                    **_strings("launch_url", "code"),
                    "expires_in": {"type": "integer"},
                    "scene": {"type": "integer"},
                }
            ),
        ),
        "parameters": [
            {"name": "access_token", "in": "query", "required": True, "schema": {"type": "string"}}
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["appid", "path", "user_key"],
                        "properties": _strings("appid", "path", "query", "user_key"),
                    }
                }
            },
        },
    }
}

JSCODE2SESSION_DOCS: dict[str, Any] = {
    "get": {
        **_errcode_docs(
            "Exchange a launch code for openid, unionid and a session key",
            "sns_jscode2session",
            {
                "type": "object",
                "required": ["openid", "session_key"],
                "properties": _strings("openid", "session_key", "unionid"),
            },
        ),
        "parameters": [
            {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
            for name in ("appid", "secret", "js_code", "grant_type")
        ],
    }
}


def install(app: PlatformApp, runtime: PlatformRuntime) -> MiniProgramHotPaths:
    """Add the routes, and launch and jscode2session on the app's lean path."""
    app.include_router(router)
    hot = MiniProgramHotPaths(runtime)
    routes = hot.routes()
    app.add_fast_routes(routes)
    openapi_docs.document(app, {route.path: route.operations for route in routes})
    return hot


# --- access tokens and URL links (FastAPI routes) -------------------------------------------


def _inputs(
    success: dict[str, Any],
    query: tuple[str, ...] = (),
    body: dict[str, Any] | None = None,
    required: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The OpenAPI description of a route that reads its own query and JSON body (so that
    clients and the fuzz test know what to send); the routes still check every value."""
    extra: dict[str, Any] = {
        "parameters": [
            {"name": name, "in": "query", "required": True, "schema": {"type": "string"}}
            for name in query
        ],
        "responses": _errcode_responses(success),
    }
    if body is not None:
        # ``params``: an optional field sent as null counts as absent; a required text may
        # not be empty.
        properties = {
            name: (
                {**field, "minLength": 1}
                if name in required and field.get("type") == "string"
                else field
                if name in required
                else {"anyOf": [field, {"type": "null"}]}
            )
            for name, field in body.items()
        }
        schema = {"type": "object", "required": list(required), "properties": properties}
        extra["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    return extra


_STRING: dict[str, Any] = {"type": "string"}
_INTEGER: dict[str, Any] = {"type": "integer"}


def _in_transaction(runtime: PlatformRuntime, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one session and commit it (refusals raise before the commit)."""
    with busy_on_database_errors(), runtime.sessions() as session:
        result = work(session)
        session.commit()
        return result


@router.get(
    "/cgi-bin/token",
    summary="Mini-program access token (client_credential)",
    openapi_extra=_inputs(_ACCESS_TOKEN, query=("grant_type", "appid", "secret")),
)
def cgi_token(request: Request) -> Response:
    runtime, query = get_runtime(request), _query(request)
    now = utcnow()
    issued = _in_transaction(
        runtime,
        lambda session: credentials.client_credential_token(
            session,
            runtime.mp_directory,
            runtime.identifiers.key,
            grant_type=query.get("grant_type"),
            appid=query.get("appid"),
            secret=query.get("secret"),
            now=now,
        ),
    )
    return mp_json(issued.as_dict())


@router.post(
    "/cgi-bin/stable_token",
    summary="Stable mini-program access token",
    openapi_extra=_inputs(
        _ACCESS_TOKEN,
        body={
            "grant_type": _STRING,
            "appid": _STRING,
            "secret": _STRING,
            "force_refresh": {"type": "boolean"},
        },
        required=("grant_type", "appid", "secret"),
    ),
)
async def cgi_stable_token(request: Request) -> Response:
    _query(request)  # nothing is read from it, but a malformed one is refused like elsewhere
    runtime, body = get_runtime(request), await _json_body(request)
    now = utcnow()
    issued = await run_in_threadpool(
        _in_transaction,
        runtime,
        lambda session: credentials.stable_token(
            session, runtime.mp_directory, runtime.identifiers.key, body=body, now=now
        ),
    )
    return mp_json(issued.as_dict())


class _TokenCall(Protocol):
    """A call made with the mini program's access token and a JSON body."""

    def __call__(
        self, session: Session, context: ApiContext, *, access_token: str | None, body: Any
    ) -> Any: ...


async def _with_access_token(request: Request, call: _TokenCall, *, writes: bool) -> Response:
    """Run ``call`` in a worker thread: in a committed transaction when it ``writes``,
    otherwise on a read-only session. Its answer's ``as_dict`` is the JSON answered."""
    runtime, query = get_runtime(request), _query(request)
    body = await _json_body(request)
    context = _context(runtime)
    access_token = query.get("access_token")

    def run() -> Any:
        if writes:
            return _in_transaction(
                runtime,
                lambda session: call(session, context, access_token=access_token, body=body),
            )
        with busy_on_database_errors(), runtime.read_sessions() as session:
            return call(session, context, access_token=access_token, body=body)

    answer = await run_in_threadpool(run)
    return mp_json(answer.as_dict())


@router.post(
    "/wxa/generate_urllink",
    summary="Generate a URL link to a mini-program page",
    openapi_extra=_inputs(
        _ok(_strings("url_link")),
        query=("access_token",),
        body={
            "path": _STRING,
            "query": _STRING,
            "env_version": {"type": "string", "enum": ["release", "trial", "develop"]},
            "expire_type": {"type": "integer", "enum": [0, 1]},
            "expire_time": _INTEGER,
            "expire_interval": {"type": "integer", "minimum": 1, "maximum": 30},
        },
    ),
)
async def wxa_generate_urllink(request: Request) -> Response:
    return await _with_access_token(request, urllink.generate, writes=True)


@router.post(
    "/wxa/query_urllink",
    summary="Describe a URL link",
    openapi_extra=_inputs(
        _ok(
            {
                "url_link_info": {
                    "type": "object",
                    "properties": {
                        **_strings("appid", "path", "query", "env_version"),
                        "create_time": _INTEGER,
                        "expire_time": _INTEGER,
                    },
                }
            }
        ),
        query=("access_token",),
        body={"url_link": _STRING},
        required=("url_link",),
    ),
)
async def wxa_query_urllink(request: Request) -> Response:
    return await _with_access_token(request, urllink.query_link, writes=False)


@router.post(
    "/wxa/report_order",
    summary="Report a paid order (attributed to its host app)",
    openapi_extra=_inputs(
        _ok(
            {
                "order_id": _STRING,
                "host_client_id": {"type": ["string", "null"]},
                "duplicate": {"type": "boolean"},
            }
        ),
        query=("access_token",),
        body={
            "openid": _STRING,
            "order_id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
            "amount": {"type": "integer", "minimum": 0},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "paid_time": _INTEGER,
        },
        required=("openid", "order_id", "amount", "paid_time"),
    ),
)
async def wxa_report_order(request: Request) -> Response:
    return await _with_access_token(request, orders.report_order, writes=True)


@router.get(
    "/urllink/{slug}",
    summary="What a URL link opens (a page for people)",
    response_class=HTMLResponse,
    responses={
        400: openapi.html("The link's address holds a control character"),
        404: openapi.html("No such link, or it has expired"),
    },
)
def urllink_page(request: Request, slug: str) -> HTMLResponse:
    """Hosts resolve links through the API; this page is for a person who opens one elsewhere."""
    runtime = get_runtime(request)
    with runtime.read_sessions() as session:
        link = urllink.find_live_link(session, slug, utcnow())
    entry = runtime.mp_directory.get(link.appid) if link else None
    if link is None or entry is None:
        return _link_page(
            runtime,
            title="链接无效 · Link not valid",
            lines=["这个链接不存在或已过期。", "This link does not exist or has expired."],
            status_code=404,
        )
    zh, en = runtime.settings.display_name_zh, runtime.settings.display_name_en
    valid_until = link.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    return _link_page(
        runtime,
        title=f"{entry.name_zh} · {entry.name_en}",
        lines=[
            f"这个链接打开{zh}小程序「{entry.name_zh}」的页面 {link.path}，"
            f"请在可以运行{zh}小程序的应用中打开。有效期至 {valid_until}。",
            f"This link opens the {en} mini program “{entry.name_en}” at {link.path}. "
            f"Open it in an app that runs {en} mini programs. Valid until {valid_until}.",
        ],
        status_code=200,
    )


def _link_page(
    runtime: PlatformRuntime, *, title: str, lines: list[str], status_code: int
) -> HTMLResponse:
    # Self-contained HTML in the platform's own stylesheet; every interpolated value is
    # escaped. Both languages at once: whoever opens a stray link may read either.
    paragraphs = "".join(f'<p class="result-message">{html.escape(line)}</p>' for line in lines)
    platform = html.escape(
        f"{runtime.settings.display_name_zh} · {runtime.settings.display_name_en}"
    )
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · {platform}</title>"
        '<link rel="stylesheet" href="/static/platform.css"></head>'
        f'<body><div class="app"><header class="navbar"><span class="navbar-title">{platform}'
        '</span></header><main class="page"><section class="result">'
        f'<h1 class="result-title">{html.escape(title)}</h1>{paragraphs}'
        "</section></main></div></body></html>"
    )
    return HTMLResponse(page, status_code=status_code, headers=PAGE_HEADERS)
