"""Schemathesis fuzzes every operation of the platform's ``/openapi.json`` against a real
server with all of its checks (``tests.support.openapi_fuzz``): whatever a partner sends, the
platform never answers with a server error, and every answer is the one its OpenAPI
document promises.

The schema is read from the running server, so a new route is fuzzed without touching this
test. Calls carry real credentials of a seeded world, so the fuzzer gets past the token
checks into the handlers; operations with a port id are also fuzzed on a real port of the
caller, so the port moves themselves run. The operations are fuzzed in three groups, one
test each (each on its own server, so that pytest-xdist can spread them).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
import schemathesis
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, Case, GenerationMode

from miniport.platform.ports.states import Actor
from miniport.platform.registry.admin import create_mini_program
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, build_world, run_ticket
from tests.platform.ports.conftest import host_token, port_id_of, request_port
from tests.support.openapi_fuzz import Auth, failures_of, fuzz_operations, unreached

# Moves that end a port's life run last, so that the fuzzing before them finds open and
# requested ports (and a live run ticket: a close revokes it).
LAST = ("/withdraw", "/reject", "/close")

GROUPS = ("OpenID Connect", "Mini-program API", "Ports")

# Operations whose handlers must have answered 2xx (or, for pages, 3xx) at least once: proof
# that the credentials got the fuzzer past the token checks.
MUST_SUCCEED = {
    "OpenID Connect": {
        "GET /authorize",
        "POST /authorize",
        "GET /authorize/resume",
        "POST /token",
        "POST /introspect",
        "POST /revoke",
        "GET /userinfo",
    },
    "Mini-program API": {"GET /cgi-bin/token", "POST /wxa/generate_urllink"},
    "Ports": {
        "GET /api/ports",
        "GET /api/ports/{port_id}",
        "GET /api/brand/ports",
        "GET /api/brand/ports/{port_id}",
        "POST /api/brand/policy",
        "POST /api/ports/check",
    },
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
    sealed_request: str  # an authorization request the platform sealed, as sign-in gets it

    def auth(self, operation: APIOperation) -> Auth:
        """The credentials of a call to this operation."""
        path, world = operation.path, self.world
        mp_query = {"appid": world.appid, "secret": world.app_secret}
        client = {"client_id": world.client_id, "redirect_uri": world.redirect_uri}
        by_path = {
            "/wxa/launch": Auth(query={"access_token": self.run_ticket}),
            "/sns/jscode2session": Auth(query={**mp_query, "grant_type": "authorization_code"}),
            "/cgi-bin/token": Auth(query=mp_query),
            "/userinfo": Auth(headers={"authorization": f"Bearer {self.run_ticket}"}),
            # The client's id and redirect URI are what /authorize verifies before anything
            # else; with them, every other error goes back to the client as a redirect.
            "/authorize": Auth(body=client)
            if operation.method.upper() == "POST"
            else Auth(query=client),
            "/authorize/resume": Auth(query={"request": self.sealed_request}),
        }
        if path in by_path:
            return by_path[path]
        if path.startswith(("/api/brand/", "/wxa/")):
            return Auth(query={"access_token": self.brand_token})
        if path.startswith("/api/ports"):
            return Auth(headers={"authorization": f"Bearer {self.host_bearer}"})
        if path in ("/token", "/introspect", "/revoke"):
            return Auth(headers={"authorization": f"Basic {self.client_basic}"})
        return Auth()

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
        sealed_request=_sealed_request(platform_url, world),
        world=world,
        host_bearer=host_token(platform_url, world.client_id, world.client_secret),
        client_basic=base64.b64encode(f"{world.client_id}:{world.client_secret}".encode()).decode(),
        brand_token=brand["access_token"],
        run_ticket=run_ticket(platform_url, world),
        open_port=port_id_of(runtime, world.client_id, world.appid),
        requested_by_jd=request_port(runtime, client_id=world.other_client_id, appid=world.appid),
        requested_by_host=request_port(runtime, client_id=world.client_id, appid=third.appid),
    )


def _sealed_request(platform_url: str, world: World) -> str:
    """What /authorize hands to the sign-in page for a valid request from a signed-out user."""
    signin = httpx.get(
        f"{platform_url}/authorize",
        params={
            "client_id": world.client_id,
            "redirect_uri": world.redirect_uri,
            "response_type": "code",
            "scope": "openid",
            "code_challenge": "A" * 43,
            "code_challenge_method": "S256",
        },
    )
    assert signin.status_code == 303, signin.text
    resume = parse_qs(urlsplit(signin.headers["location"]).query)["next"][0]
    return parse_qs(urlsplit(resume).query)["request"][0]


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as kept_alive:
        yield kept_alive


@pytest.mark.parametrize("group", GROUPS)
def test_every_answer_is_the_one_the_openapi_document_promises(
    platform_url: str, seeded: Seeded, session: requests.Session, group: str
) -> None:
    schema = schemathesis.openapi.from_url(f"{platform_url}/openapi.json")
    every = [result.ok() for result in schema.get_all_operations()]
    assert {tag for operation in every for tag in operation.tags or ()} == set(GROUPS)
    operations = [operation for operation in every if group in (operation.tags or ())]
    operations.sort(key=lambda operation: operation.path.endswith(LAST))
    operations.sort(key=lambda operation: operation.path.endswith("/close"))

    def on_a_real_port(operation: APIOperation, auth: Auth) -> list[SearchStrategy[Case]]:
        port_id = seeded.port_for(operation.path)
        if port_id is None:
            return []
        return [
            operation.as_strategy(
                GenerationMode.POSITIVE,
                path_parameters={"port_id": port_id},
                **auth.strategy_kwargs(),
            )
        ]

    tallies = fuzz_operations(
        schema,
        operations,
        auth_for=seeded.auth,
        session=session,
        extra_strategies=on_a_real_port,
    )
    failures = failures_of(tallies)
    assert not failures, failures
    assert all(tally.statuses for tally in tallies.values()), "an operation was never called"
    assert unreached(tallies, MUST_SUCCEED[group]) == {}, (
        "the credentials did not get the fuzzer into these handlers"
    )
