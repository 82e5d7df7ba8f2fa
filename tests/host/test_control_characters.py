"""Control characters in the host's addresses and forms get a readable 400 page, never a 500.

Issue 11 §3: ``GET /search?q=a%00b`` answered 500 (FTS5 read NUL as the end of its query
string) and ``/notes/%00`` was not a page. The sweep walks every route the host has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.db import make_engine, make_sessionmaker
from miniport.common.migrate import upgrade
from miniport.host.search import search
from miniport.host.seed import seed_instance
from miniport.host.web.app import create_app
from tests.host.conftest import (
    GUCCI_APPID,
    HOST_PASSWORD,
    FakePlatform,
    StandAlone,
    cheap_hasher,
    make_host_settings,
)
from tests.support.input_sweep import (
    CONTROL_CHARACTERS,
    cases_for,
    extra_paths,
    html_page_problem,
    routes_of,
    sweep,
)

REFUSED = "网址中含有不允许的字符"


def page_problem(response: httpx.Response, _path: str, exact: bool) -> str | None:
    return html_page_problem(response, exact)


@pytest.fixture
def host_app(tmp_path: Path) -> Iterator[FastAPI]:
    settings = make_host_settings(tmp_path / "host", base_url="http://127.0.0.1")
    upgrade("host", settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            seed_instance(
                session,
                cheap_hasher(),
                instance="xiaohongshu",
                password=HOST_PASSWORD,
                mp_links={"gucci": GUCCI_APPID},
            )
    finally:
        engine.dispose()
    # Only check() is ever called on the stand-in by these pages.
    yield create_app(settings, platform=FakePlatform())  # type: ignore[arg-type]


def test_every_route_refuses_control_characters_with_a_page(host_app: FastAPI) -> None:
    routes = [route for route in routes_of(host_app) if not route.path.startswith("/webhooks/")]
    assert len(routes) >= 15  # the sweep really found the routes
    cases = list(cases_for(routes))
    extra = [path for char in CONTROL_CHARACTERS for path in extra_paths(char)]
    problems = asyncio.run(sweep(host_app, cases, extra, page_problem))
    assert not problems, f"{len(problems)} of {len(cases) + len(extra)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", ["/search?q=a%00b", "/notes/%00", "/brands/a%1bb", "/?lang=%7f"])
def test_the_reported_addresses_get_a_readable_page(standalone: StandAlone, path: str) -> None:
    response = httpx.get(standalone.url + path)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert REFUSED in response.text


def test_a_control_character_in_a_webhook_address_is_refused_without_reading_it(
    standalone: StandAlone,
) -> None:
    response = httpx.post(standalone.url + "/webhooks/platform?x=%00", content=b"{}")
    assert response.status_code == 400


# FTS5 query syntax, and what trips SQLite or PostgreSQL when passed on: quotes, NUL,
# operators, column filters, prefix and initial-token markers, brackets.
FTS_SYNTAX = st.sampled_from(
    [
        '"',
        "'",
        "*",
        "^",
        "(",
        ")",
        ":",
        "NEAR",
        "AND",
        "OR",
        "NOT",
        "-",
        "+",
        "{",
        "}",
        "\x00",
        "\x01",
        "text:",
        "kind:gucci",
        "NEAR(a b, 2)",
        "\\",
        "%",
        "_",
        "\u3000",
        "ＧＵＣＣＩ",
    ]
)
PIECES = st.lists(st.one_of(FTS_SYNTAX, st.text(max_size=6)), max_size=8)
# Pieces glued into one term ("a\x00b", "gu*cci") and spread over several.
QUERIES = st.one_of(PIECES.map("".join), PIECES.map(" ".join))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=QUERIES)
def test_search_takes_any_text(seeded: sessionmaker[Session], query: str) -> None:
    with seeded() as session:
        search(session, query)  # an FTS5 or database error would raise here


@pytest.mark.parametrize(
    "query", ["a\x00b", "gu\x00cci", '"\x00"', "古驰\x00", "\x00\x00\x00", "gucci\ud800"]
)
def test_a_control_character_separates_terms(seeded: sessionmaker[Session], query: str) -> None:
    with seeded() as session:
        spaced = "".join(" " if char in "\x00\ud800" else char for char in query)
        assert search(session, query) == search(session, spaced)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=QUERIES)
def test_the_search_page_answers_any_query_with_results_or_a_clear_refusal(
    standalone: StandAlone, query: str
) -> None:
    response = httpx.get(standalone.url + "/search", params={"q": query})
    has_control = any(ord(char) < 32 or 127 <= ord(char) < 160 for char in query)
    assert response.status_code == (400 if has_control else 200), response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
