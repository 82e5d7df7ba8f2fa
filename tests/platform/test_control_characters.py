"""Control characters anywhere in a request get a 4xx in the shape of the path's family.

Issue 11 §3: ``%00`` in a query reached SQLite's FTS5 as an unterminated string (a 500), and
PostgreSQL refuses NUL in any text parameter. The sweep walks every route the platform has,
the lean path's included, putting NUL, SOH, ESC and DEL in each path parameter, in the query
and in a form (and a JSON body where the family takes JSON), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp

from miniport.common.migrate import upgrade
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.web.app import create_app
from tests.conftest import make_platform_settings
from tests.factories import build_world
from tests.support.input_sweep import (
    CONTROL_CHARACTERS,
    cases_for,
    extra_paths,
    html_page_problem,
    routes_of,
    sweep,
)

MINI_PROGRAM_API = ("/cgi-bin/", "/sns/", "/wxa/")
OAUTH_JSON = ("/token", "/introspect", "/revoke", "/userinfo", "/.well-known/", "/jwks.json")
GOVERNANCE_API = ("/api/",)


def family(path: str) -> str:
    if path.startswith(MINI_PROGRAM_API):
        return "mini-program"
    if path.startswith(OAUTH_JSON):
        return "oauth"
    if path.startswith(GOVERNANCE_API):
        return "governance"
    return "page"


def shape_problem(response: httpx.Response, path: str, exact: bool) -> str | None:
    """What is wrong with ``response`` as a refusal from ``path``'s family, or None.

    ``exact``: the control character is in the path or the query, which the platform refuses
    before any route runs; in a body (or on the lean path, whose handlers read only what
    they need and refuse NUL there), the route's own reader answers in its family's shape.
    """
    status, kind = response.status_code, response.headers.get("content-type", "")
    if status >= 500:
        return f"{status}: {response.text[:200]}"
    which = family(path)
    if which == "page":
        return html_page_problem(response, exact)
    if not kind.startswith(("application/json", "application/jwk-set+json")):
        return f"{status} {kind} is not JSON: {response.text[:200]}"
    body = response.json()
    if which == "mini-program":
        if status == 200 and body.get("errcode", 0) == 0:
            return f"accepted: {body}"
        if exact and (status, body.get("errcode")) != (200, 40097):
            return f"{status} {body} is not 40097"
        return None
    if status < 300 and not exact:
        return None  # discovery and JWKS read no parameter: an unused one is harmless
    if "error" not in body:
        return f"{status} {body} has no RFC 6749 error"
    if exact and (status, body["error"]) != (400, "invalid_request"):
        return f"{status} {body} is not 400 invalid_request"
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def swept_settings(
    request: pytest.FixtureRequest, tmp_path: Path, platform_port: int
) -> PlatformSettings:
    overrides: dict[str, object] = {}
    if request.param == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    settings = make_platform_settings(
        tmp_path / "platform", base_url=f"http://127.0.0.1:{platform_port}", **overrides
    )
    upgrade("platform", settings.database_url)
    return settings


@pytest.fixture
def swept_app(swept_settings: PlatformSettings) -> Iterator[ASGIApp]:
    runtime = PlatformRuntime.build(swept_settings)
    try:
        build_world(runtime)
        # The lifespan is not run: its background workers are not what is swept.
        yield create_app(swept_settings, runtime=runtime)
    finally:
        runtime.close()


def test_every_route_refuses_control_characters_in_its_familys_shape(swept_app: ASGIApp) -> None:
    routes = routes_of(swept_app)
    cases = list(cases_for(routes, json_prefixes=MINI_PROGRAM_API + GOVERNANCE_API))
    assert len(routes) >= 40  # the sweep really found the routes
    extra = [path for char in CONTROL_CHARACTERS for path in extra_paths(char)]
    problems = asyncio.run(sweep(swept_app, cases, extra, shape_problem))
    assert not problems, f"{len(problems)} of {len(cases) + len(extra)}:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("path", "family_of"),
    [
        ("/signin?next=%2F%00", "page"),
        ("/authorize?client_id=a%00b&response_type=code", "page"),
        ("/console/ops/hosts/a%00b", "page"),
        ("/userinfo?access_token=a%00b", "oauth"),
        ("/api/ports?x=%1b", "governance"),
        ("/cgi-bin/token?grant_type=client_credential&appid=a%01b&secret=s", "mini-program"),
        ("/urllink/a%7fb", "page"),
    ],
)
def test_over_real_http_the_answer_is_a_readable_refusal(
    platform_url: str, runtime: PlatformRuntime, path: str, family_of: str
) -> None:
    assert family(path) == family_of
    response = httpx.get(platform_url + path)
    assert shape_problem(response, path, True) is None, response.text[:300]
    if family_of == "page":
        assert "不允许的字符" in response.text


def test_english_readers_get_the_page_in_english(platform_url: str) -> None:
    response = httpx.get(platform_url + "/signin?lang=en&next=%00")
    assert response.status_code == 400
    assert "characters that are not allowed" in response.text
