"""The endpoints under load, their targets, and how each builds its wrk invocation.

Issue 2 (OpenID Connect): discovery, JWKS, token, introspection. Issue 3 (mini programs and
ports): ``check`` with 20 appids, ``launch`` and ``jscode2session``; the last two need
fresh inputs for every request, made in bulk by ``miniprograms`` before each run.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from benchmarks import miniprograms
from benchmarks.seed import Seeded
from benchmarks.servers import RunningServer
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Fresh launch codes made per run and per second of it: above what one core serves (at most
# 9,300 per CPU-second on the fastest machine seen so far), so a run never runs out (if it
# did, wrk would stop early and the table would say so).
INPUTS_PER_SECOND = 15_000


@dataclass
class Context:
    """What the endpoints need to build their requests, once the server is up."""

    base_url: str
    server: RunningServer
    seeded: Seeded
    data_dir: Path
    settings: PlatformSettings
    duration_s: float
    label: str = ""  # which of the servers compared side by side this is, for the progress
    access_token: str = ""
    # Built on first use, for the issue-3 endpoints: a runtime on the benchmark database in
    # this process (to make tickets and codes), and the tickets.
    runtime: PlatformRuntime | None = None
    tickets: list[miniprograms.Ticket] = field(default_factory=list)
    batches: int = 0

    def platform(self) -> PlatformRuntime:
        if self.runtime is None:
            self.runtime = PlatformRuntime.build(self.settings)
            self.tickets = miniprograms.make_tickets(self.runtime, self.seeded)
        return self.runtime

    def inputs_file(self, name: str) -> Path:
        self.batches += 1
        return self.data_dir / f"{name}-{self.batches}.requests"

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()


@dataclass(frozen=True)
class Prepared:
    """One endpoint's wrk invocation: path, Lua script and the environment it reads; and one
    request of the same shape (method, path, body, headers) that must succeed first."""

    path: str
    script: str
    env: dict[str, str]
    method: str = "GET"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    inputs: int | None = None  # how many requests the input file holds, if there is one


@dataclass(frozen=True)
class Endpoint:
    name: str
    request: str
    target_rps: float
    prepare: Callable[[Context, float], Prepared]  # (context, seconds of load) -> invocation


def basic_auth(client_id: str, secret: str) -> str:
    # RFC 6749 §2.3.1: form-urlencode both parts before base64.
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _get(path: str) -> Callable[[Context, float], Prepared]:
    return lambda _context, _seconds: Prepared(path=path, script="get.lua", env={})


def _post(path: str, body: bytes, *, content_type: str, authorization: str) -> Prepared:
    return Prepared(
        path=path,
        script="post.lua",
        env={
            "BENCH_BODY": body.decode("utf-8"),
            "BENCH_CONTENT_TYPE": content_type,
            "BENCH_AUTHORIZATION": authorization,
        },
        method="POST",
        body=body,
        headers={"Content-Type": content_type, "Authorization": authorization},
    )


def _token(context: Context, _seconds: float) -> Prepared:
    seeded = context.seeded
    return _post(
        "/token",
        b"grant_type=client_credentials",
        content_type=FORM,
        authorization=basic_auth(seeded.client_id, seeded.client_secret),
    )


def _introspect(context: Context, _seconds: float) -> Prepared:
    seeded = context.seeded
    return _post(
        "/introspect",
        urlencode({"token": context.access_token}).encode(),
        content_type=FORM,
        authorization=basic_auth(seeded.client_id, seeded.client_secret),
    )


def _check(context: Context, _seconds: float) -> Prepared:
    body = {"user_key": "host-user-bench", "items": list(context.seeded.appids)}
    return _post(
        "/api/ports/check",
        json.dumps(body, separators=(",", ":")).encode(),
        content_type=JSON,
        authorization=f"Bearer {context.access_token}",
    )


def _from_file(path: Path, content_type: str) -> Prepared:
    """The first line is the probe; wrk sends the rest, each once (``lua/requests.lua``)."""
    with path.open() as lines:
        method, target, body = next(lines).rstrip("\n").split("\t", 2)
        rest = path.with_suffix(".wrk")
        inputs = 0
        with rest.open("w") as out:
            for line in lines:
                out.write(line)
                inputs += 1
    return Prepared(
        path=target,
        script="requests.lua",
        env={"BENCH_REQUESTS": str(rest), "BENCH_CONTENT_TYPE": content_type},
        method=method,
        body=body.encode(),
        headers={"Content-Type": content_type} if body else {},
        inputs=inputs,
    )


def _count(seconds: float) -> int:
    return int(INPUTS_PER_SECOND * seconds) + 1


def _launch(context: Context, seconds: float) -> Prepared:
    context.platform()
    path = miniprograms.write_launch_requests(
        context.inputs_file("launch"), context.tickets, context.seeded, _count(seconds)
    )
    return _from_file(path, JSON)


def _jscode2session(context: Context, seconds: float) -> Prepared:
    runtime = context.platform()
    path = miniprograms.write_jscode2session_requests(
        context.inputs_file("jscode2session"),
        runtime,
        context.tickets,
        context.seeded,
        _count(seconds),
    )
    return _from_file(path, JSON)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "discovery",
        "`GET /.well-known/openid-configuration`",
        6300,
        _get("/.well-known/openid-configuration"),
    ),
    Endpoint("jwks", "`GET /jwks.json`", 8200, _get("/jwks.json")),
    Endpoint("token", "`POST /token` client_credentials, client_secret_basic", 3600, _token),
    Endpoint("introspect", "`POST /introspect` a live access token, basic auth", 4000, _introspect),
    Endpoint("check", "`POST /api/ports/check` 20 appids, one user key", 5000, _check),
    Endpoint("launch", "`POST /wxa/launch` (a new launch code each)", 2000, _launch),
    Endpoint(
        "jscode2session", "`GET /sns/jscode2session` (a fresh code each)", 2000, _jscode2session
    ),
)
