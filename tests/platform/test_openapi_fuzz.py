"""Schemathesis fuzzes every operation of the platform's ``/openapi.json`` against a real
server: whatever a partner sends, the platform never answers with a server error.

The schema is read from the running server, so a new route is fuzzed without touching this
test. Each operation gets schemathesis' coverage cases (boundary values, wrong types, missing
and unexpected parameters, other methods) and Hypothesis-generated positive and negative
cases. Calls carry real credentials of a seeded world, so the fuzzer gets past the token
checks into the handlers; operations with a port id are also fuzzed on a real port of the
caller, so the port moves themselves run. ``MINIPORT_FUZZ_EXAMPLES`` raises the number of
generated cases for a deeper run on a developer's machine.

(``@schema.parametrize()`` would need the schema at import time, before any fixture has
built a database, and ``schemathesis.pytest.from_fixture`` does not run on pytest 9.2; so the
test walks the operations itself: ``APIOperation.as_strategy`` for the generated cases,
``BaseSchema.iter_coverage_cases`` for the coverage phase.)
"""

from __future__ import annotations

import base64
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup

from miniport.platform.ports.states import Actor
from miniport.platform.registry.admin import create_mini_program
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, build_world, run_ticket
from tests.platform.ports.conftest import host_token, port_id_of, request_port

EXAMPLES = int(os.environ.get("MINIPORT_FUZZ_EXAMPLES", "30"))  # per operation and strategy
CHECKS = [not_a_server_error]

# Moves that end a port's life run last, so that the fuzzing before them finds open and
# requested ports (and a live run ticket: a close revokes it).
LAST = ("/withdraw", "/reject", "/close")

# Operations whose handlers must have answered 2xx at least once: proof that the credentials
# got the fuzzer past the token checks.
MUST_SUCCEED = {
    "GET /api/ports",
    "GET /api/ports/{port_id}",
    "GET /api/brand/ports",
    "GET /api/brand/ports/{port_id}",
    "POST /api/brand/policy",
    "POST /api/ports/check",
}


@dataclass(frozen=True)
class Seeded:
    """Real credentials of a seeded world, and a port of each caller to aim the moves at."""

    world: World
    host_bearer: str  # client_credentials token of xiaohongshu, scope ports
    client_basic: str  # client_secret_basic of xiaohongshu
    brand_token: str  # /cgi-bin/token of Gucci's flagship mini program
    run_ticket: str  # the user's run ticket for the flagship mini program
    open_port: int  # xiaohongshu → flagship: open
    requested_by_jd: int  # JD → flagship: requested, for the brand to answer
    requested_by_host: int  # xiaohongshu → a third mini program: requested, to withdraw

    def auth(self, path: str) -> dict[str, dict[str, str]]:
        """The parameters that authenticate a call to this operation, by location."""
        mp_query = {"appid": self.world.appid, "secret": self.world.app_secret}
        by_path: dict[str, dict[str, dict[str, str]]] = {
            "/wxa/launch": {"query": {"access_token": self.run_ticket}},
            "/sns/jscode2session": {"query": {**mp_query, "grant_type": "authorization_code"}},
            "/cgi-bin/token": {"query": mp_query},
            "/userinfo": {"headers": {"authorization": f"Bearer {self.run_ticket}"}},
        }
        if path in by_path:
            return by_path[path]
        if path.startswith(("/api/brand/", "/wxa/")):
            return {"query": {"access_token": self.brand_token}}
        if path.startswith("/api/ports"):
            return {"headers": {"authorization": f"Bearer {self.host_bearer}"}}
        if path in ("/token", "/introspect", "/revoke"):
            return {"headers": {"authorization": f"Basic {self.client_basic}"}}
        return {}

    def port_for(self, path: str) -> int | None:
        """A real port of the caller for an operation on ``{port_id}``."""
        if "{port_id}" not in path:
            return None
        if path.endswith("/withdraw"):
            return self.requested_by_host
        if path.endswith(("/approve", "/reject")):
            return self.requested_by_jd
        return self.open_port


@pytest.fixture
def seeded(platform_url: str, runtime: PlatformRuntime) -> Seeded:
    world = build_world(runtime)
    with runtime.sessions() as session, session.begin():
        third, _secret = create_mini_program(
            session,
            brand_id=world.brand_id,
            name_zh="古驰家居",
            name_en="Gucci Décor",
            entry_url="http://127.0.0.1:9/decor/entry",
            allowed_paths=["/pages/index"],
            actor=Actor.system(),
        )
    brand = httpx.get(
        f"{platform_url}/cgi-bin/token",
        params={
            "grant_type": "client_credential",
            "appid": world.appid,
            "secret": world.app_secret,
        },
    ).json()
    assert "access_token" in brand, brand
    return Seeded(
        world=world,
        host_bearer=host_token(platform_url, world.client_id, world.client_secret),
        client_basic=base64.b64encode(f"{world.client_id}:{world.client_secret}".encode()).decode(),
        brand_token=brand["access_token"],
        run_ticket=run_ticket(platform_url, world),
        open_port=port_id_of(runtime, world.client_id, world.appid),
        requested_by_jd=request_port(runtime, client_id=world.other_client_id, appid=world.appid),
        requested_by_host=request_port(runtime, client_id=world.client_id, appid=third.appid),
    )


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as kept_alive:
        yield kept_alive


@dataclass
class Tally:
    """What one operation answered, and every server error found, with a way to replay it."""

    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _describe(failure: BaseException) -> str:
    """A failure with what it groups (Hypothesis and schemathesis both raise groups)."""
    lines = [f"{type(failure).__name__}: {failure}"]
    for inner in getattr(failure, "exceptions", ()):
        lines += ["  " + line for line in _describe(inner).splitlines()]
    return "\n".join(lines)


def _authenticate(case: Case, auth: dict[str, dict[str, str]]) -> None:
    """Put real credentials on a coverage case, replacing whatever it generated for them."""
    for name, value in auth.get("query", {}).items():
        if isinstance(case.query, dict):
            case.query[name] = value
        elif case.query is None:
            case.query = {name: value}
    for name, value in auth.get("headers", {}).items():
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != name}
        case.headers = {**headers, name: value}


def _send(case: Case, session: requests.Session, tally: Tally) -> None:
    response = case.call(session=session, timeout=10)
    tally.statuses[response.status_code] += 1
    case.validate_response(response, checks=CHECKS)


def _run_coverage(
    schema: BaseSchema,
    operation: APIOperation,
    auth: dict[str, dict[str, str]],
    session: requests.Session,
    tally: Tally,
) -> None:
    """Schemathesis' coverage phase: its deterministic boundary and wrong-type cases."""
    cases: Iterable[Case] = schema.iter_coverage_cases(
        operation,
        generation_modes=list(GenerationMode),
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
    )
    for case in cases:
        _authenticate(case, auth)
        try:
            _send(case, session, tally)
        except (Exception, FailureGroup) as failure:  # every failure is reported at the end
            tally.failures.append(f"{_describe(failure)}\n  replay: {case.as_curl_command()}")


def _run_fuzzing(strategy: SearchStrategy[Case], session: requests.Session, tally: Tally) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Case) -> None:
        _send(case, session, tally)

    try:
        fuzz()
    except Unsatisfiable:
        pass  # nothing in this operation's schema can be made invalid: no negative cases
    except (Exception, FailureGroup) as failure:  # shrunk; every failure is reported at the end
        tally.failures.append(_describe(failure))


def test_no_operation_answers_with_a_server_error(
    platform_url: str, seeded: Seeded, session: requests.Session
) -> None:
    schema = schemathesis.openapi.from_url(f"{platform_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda operation: operation.path.endswith(LAST))
    operations.sort(key=lambda operation: operation.path.endswith("/close"))

    tallies: dict[str, Tally] = {}
    for operation in operations:
        tally = tallies[operation.label] = Tally()
        auth = seeded.auth(operation.path)
        _run_coverage(schema, operation, auth, session, tally)
        strategies = [
            operation.as_strategy(GenerationMode.POSITIVE, **auth),
            operation.as_strategy(GenerationMode.NEGATIVE, **auth),
            operation.as_strategy(GenerationMode.NEGATIVE),  # credentials fuzzed as well
        ]
        port_id = seeded.port_for(operation.path)
        if port_id is not None:
            strategies.append(
                operation.as_strategy(
                    GenerationMode.POSITIVE, path_parameters={"port_id": port_id}, **auth
                )
            )
        for strategy in strategies:
            _run_fuzzing(strategy, session, tally)

    server_errors = {label: tally.failures for label, tally in tallies.items() if tally.failures}
    assert server_errors == {}
    assert all(tally.statuses for tally in tallies.values()), "an operation was never called"
    unreached = {
        label: dict(tallies[label].statuses)
        for label in MUST_SUCCEED
        if not any(200 <= status < 300 for status in tallies[label].statuses)
    }
    assert unreached == {}, "the credentials did not get the fuzzer into these handlers"
