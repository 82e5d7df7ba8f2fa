"""Malformed input to the governance API never gets a 500, always the API's own error JSON,
and never moves a port.

Every brand move (approve, reject, close, staging, policy) and the host's withdraw gets bodies
that are not JSON, JSON that is not an object, fields of the wrong type and oversized strings;
every route with a port id gets ids that are not one. docs/api.md: all of these are 400
``invalid_request`` as ``{"error", "error_description"}`` with ``Cache-Control: no-store``;
an id that is well-formed but names no port of the caller is 404 ``port_not_found``. The URL-link
page, for people, answers any slug that is not a live link with its own 404 page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from miniport.common.migrate import upgrade
from miniport.platform.ports import lifecycle
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from tests.conftest import make_platform_settings
from tests.factories import World
from tests.platform.ports.conftest import mp_token, port_id_of, request_port

INVALID = "400 invalid_request"
MAX_INT32 = 2_147_483_647
# Port ids are PostgreSQL integers: the id tests run there too, where an id past 2³¹−1 that
# reached the database would fail in the driver, not in validation.
BOTH_DATABASES = pytest.mark.parametrize(
    "platform_settings",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)


@pytest.fixture
def platform_settings(
    request: pytest.FixtureRequest, tmp_path: Path, platform_port: int
) -> PlatformSettings:
    """SQLite, as everywhere; PostgreSQL for a test parametrized with ``"postgresql"``."""
    overrides: dict[str, object] = {}
    if getattr(request, "param", "sqlite") == "postgresql":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    settings = make_platform_settings(
        tmp_path / "platform", base_url=f"http://127.0.0.1:{platform_port}", **overrides
    )
    upgrade("platform", settings.database_url)
    return settings


@dataclass(frozen=True)
class Route:
    """One governance route, a body it accepts, and how its caller authenticates."""

    method: str
    template: str  # with {port_id} where the route takes one
    valid_body: dict[str, Any]
    params: Mapping[str, str]
    headers: Mapping[str, str]
    port_id: int | None

    def path(self, port_id: object | None = None) -> str:
        return self.template.format(port_id=self.port_id if port_id is None else port_id)


@dataclass(frozen=True)
class Governance:
    routes: dict[str, Route]
    open_port: int
    requested_port: int

    @property
    def with_body(self) -> dict[str, Route]:
        return {name: route for name, route in self.routes.items() if route.method == "POST"}

    @property
    def with_port_id(self) -> dict[str, Route]:
        return {name: route for name, route in self.routes.items() if route.port_id is not None}


STAGING = {
    "rollout_percent": 50,
    "allow_list": [],
    "trial_ends_at": None,
    "daily_launch_quota": None,
}


@pytest.fixture
def governance(
    runtime: PlatformRuntime, world: World, jd_auth: dict[str, str], host_auth: dict[str, str]
) -> Governance:
    """JD has asked for Gucci's flagship (the brand may approve or reject it, JD may withdraw
    it); xiaohongshu's port to the flagship is open (the brand may close or stage it)."""
    open_port = port_id_of(runtime, world.client_id, world.appid)
    requested = request_port(runtime, client_id=world.other_client_id, appid=world.appid)
    brand = {"access_token": mp_token(runtime, world.appid)}

    def brand_route(method: str, move: str, body: dict[str, Any], port: int | None) -> Route:
        return Route(method, f"/api/brand/ports/{{port_id}}{move}", body, brand, {}, port)

    routes = {
        "approve": brand_route("POST", "/approve", {"reason": "welcome"}, requested),
        "reject": brand_route("POST", "/reject", {"message": "not now"}, requested),
        "close": brand_route(
            "POST", "/close", {"reason_category": "policy", "reason": "x"}, open_port
        ),
        "staging": brand_route("POST", "/staging", dict(STAGING), open_port),
        "policy": Route("POST", "/api/brand/policy", {"policy": "review"}, brand, {}, None),
        "withdraw": Route(
            "POST", "/api/ports/{port_id}/withdraw", {"reason": "x"}, {}, jd_auth, requested
        ),
        "brand_show": brand_route("GET", "", {}, open_port),
        "host_show": Route("GET", "/api/ports/{port_id}", {}, {}, host_auth, open_port),
    }
    return Governance(routes, open_port, requested)


def outcome(response: httpx.Response) -> str:
    """``"<status> <error>"`` for an answer in the governance API's error format; anything
    else is spelled out, so one comparison shows every deviation."""
    if response.status_code >= 500:
        return f"{response.status_code} server error: {response.text[:200]}"
    if not response.headers.get("content-type", "").startswith("application/json"):
        return f"{response.status_code} not JSON: {response.text[:200]}"
    body = response.json()
    if not (
        isinstance(body, dict)
        and set(body) == {"error", "error_description"}
        and all(isinstance(value, str) for value in body.values())
    ):
        return f"{response.status_code} not the error format: {body!r}"
    if response.headers.get("cache-control") != "no-store":
        return f"{response.status_code} cacheable: {response.headers.get('cache-control')!r}"
    return f"{response.status_code} {body['error']}"


def _post(http: httpx.Client, route: Route, **send: Any) -> httpx.Response:
    headers = {**route.headers, **send.pop("headers", {})}
    return http.post(route.path(), params=route.params, headers=headers, **send)


@pytest.fixture
def unchanged(runtime: PlatformRuntime, governance: Governance, world: World) -> Iterator[None]:
    """After the test: no port moved and the policy is what it was. A refused request that
    still changed something would be worse than a 500."""

    def snapshot() -> tuple[object, ...]:
        with runtime.sessions() as session:
            ports = [lifecycle.get_port(session, governance.open_port)]
            ports.append(lifecycle.get_port(session, governance.requested_port))
            policy = lifecycle.policy_of(session, world.appid)
            return (*((port.state, port.version) for port in ports), policy)

    before = snapshot()
    yield
    assert snapshot() == before


NOT_JSON: dict[str, bytes] = {
    "garbage": b"not json",
    "truncated": b'{"reason": ',
    "unquoted key": b"{reason: 1}",
    "single quotes": b"{'reason': 'x'}",
    "trailing comma": b'{"reason": "x",}',
    "not utf-8": b'{"reason": "\xff\xfe"}',
    # Valid JSON text, but JSON between systems is UTF-8 (RFC 8259); Python's parser would
    # take these, and did approve a port with them.
    "utf-16": '{"reason": "x"}'.encode("utf-16"),
    "utf-16 without a mark": '{"reason": "x"}'.encode("utf-16-le"),
    "utf-32 without a mark": '{"reason": "x"}'.encode("utf-32-le"),
    "nan": b'{"expected_version": NaN}',
    "deeply nested": b"[" * 20_000 + b"]" * 20_000,
    "form encoded": b"reason=x&message=y",
}


def test_bodies_that_are_not_json_are_invalid_requests(
    http: httpx.Client, governance: Governance, unchanged: None
) -> None:
    answers = {
        (name, kind): outcome(
            _post(http, route, content=content, headers={"content-type": "application/json"})
        )
        for name, route in governance.with_body.items()
        for kind, content in NOT_JSON.items()
    }
    assert answers == dict.fromkeys(answers, INVALID)


def test_a_body_sent_as_another_media_type_is_an_invalid_request(
    http: httpx.Client, governance: Governance, unchanged: None
) -> None:
    # A valid body, but not declared JSON: the API reads JSON bodies only.
    answers = {
        (name, media_type): outcome(
            _post(
                http,
                route,
                content=httpx.Request("POST", "/", json=route.valid_body).content,
                headers={"content-type": media_type},
            )
        )
        for name, route in governance.with_body.items()
        for media_type in ("text/plain", "application/x-www-form-urlencoded")
    }
    assert answers == dict.fromkeys(answers, INVALID)


REQUIRED_BODY = ("reject", "close", "staging", "policy")


def test_json_that_is_not_an_object_is_an_invalid_request(
    http: httpx.Client, governance: Governance, unchanged: None
) -> None:
    not_objects: dict[str, object] = {
        "array": [governance.routes["approve"].valid_body],
        "empty array": [],
        "string": "approve",
        "number": 1,
        "true": True,
    }
    answers = {
        (name, kind): outcome(_post(http, route, json=value))
        for name, route in governance.with_body.items()
        for kind, value in not_objects.items()
    }
    # No body, or JSON null, is "no body": fine for approve and withdraw, whose body is
    # optional, and missing for the others.
    for name in REQUIRED_BODY:
        route = governance.routes[name]
        answers[(name, "null")] = outcome(_post(http, route, json=None))
        answers[(name, "empty")] = outcome(
            _post(http, route, content=b"", headers={"content-type": "application/json"})
        )
    assert answers == dict.fromkeys(answers, INVALID)


WRONG_FIELDS: dict[str, list[dict[str, object]]] = {
    "approve": [
        {"reason": 5},
        {"reason": ["welcome"]},
        {"reason": None},
        {"expected_version": "1"},
        {"expected_version": True},
        {"expected_version": 1.5},
        {"expected_version": 0},
        {"expected_version": MAX_INT32 + 1},
        {"expected_version": 10**30},
        {"expected_version": {"value": 1}},
        {"reason": "welcome", "unknown": 1},
    ],
    "reject": [
        {},
        {"message": 5},
        {"message": None},
        {"message": True},
        {"message": ""},
        {"message": "   "},
        {"message": "no", "expected_version": "1"},
        {"message": "no", "expected_version": -1},
        {"message": "no", "unknown": 1},
    ],
    "close": [
        {"reason_category": "policy"},
        {"reason": "x"},
        {"reason_category": 1, "reason": "x"},
        {"reason_category": "POLICY", "reason": "x"},
        {"reason_category": "trial_ended", "reason": "x"},
        {"reason_category": None, "reason": "x"},
        {"reason_category": "policy", "reason": 5},
        {"reason_category": "policy", "reason": {"text": "x"}},
        {"reason_category": "policy", "reason": "x", "expected_version": []},
    ],
    "staging": [
        {**STAGING, "rollout_percent": "50"},
        {**STAGING, "rollout_percent": True},
        {**STAGING, "rollout_percent": 50.5},
        {**STAGING, "rollout_percent": None},
        {**STAGING, "allow_list": "tester"},
        {**STAGING, "allow_list": [1]},
        {**STAGING, "allow_list": [None]},
        {**STAGING, "allow_list": {"tester": True}},
        {**STAGING, "trial_ends_at": "tomorrow"},
        {**STAGING, "trial_ends_at": "2030-01-01T00:00:00"},  # no time zone
        {**STAGING, "trial_ends_at": ["2030-01-01T00:00:00+00:00"]},
        {**STAGING, "daily_launch_quota": "10"},
        {**STAGING, "daily_launch_quota": False},
        {**STAGING, "daily_launch_quota": MAX_INT32 + 1},
        {**STAGING, "expected_version": "1"},
        {key: value for key, value in STAGING.items() if key != "trial_ends_at"},
    ],
    "policy": [
        {},
        {"policy": 1},
        {"policy": None},
        {"policy": "open"},
        {"policy": "REVIEW"},
        {"policy": ["review"]},
        {"policy": "review", "unknown": 1},
    ],
    "withdraw": [
        {"reason": 5},
        {"reason": None},
        {"reason": {"text": "x"}},
        {"reason": "x", "unknown": 1},
    ],
}


def test_fields_of_the_wrong_type_are_invalid_requests(
    http: httpx.Client, governance: Governance, unchanged: None
) -> None:
    answers = {
        (name, repr(body)): outcome(_post(http, governance.routes[name], json=body))
        for name, bodies in WRONG_FIELDS.items()
        for body in bodies
    }
    assert answers == dict.fromkeys(answers, INVALID)


LONG = "x" * 501  # every reason and message is at most 500 characters
HUGE = "x" * 1_000_000


def test_oversized_strings_are_invalid_requests(
    http: httpx.Client, governance: Governance, unchanged: None
) -> None:
    oversized: dict[str, list[dict[str, object]]] = {
        "approve": [{"reason": LONG}, {"reason": HUGE}, {"reason": "x\x00y"}],
        "reject": [{"message": LONG}, {"message": HUGE}, {"message": "\x1b[31m"}],
        "close": [
            {"reason_category": "policy", "reason": LONG},
            {"reason_category": "policy", "reason": HUGE},
            {"reason_category": HUGE, "reason": "x"},
        ],
        "staging": [
            {**STAGING, "allow_list": ["k" * 129]},
            {**STAGING, "allow_list": [HUGE]},
            {**STAGING, "allow_list": [f"user-{n}" for n in range(1001)]},
            {**STAGING, "trial_ends_at": "2030-01-01T00:00:00+00:00" + "0" * 10_000},
        ],
        "policy": [{"policy": HUGE}],
        "withdraw": [{"reason": LONG}, {"reason": HUGE}],
    }
    answers = {
        (name, index): outcome(_post(http, governance.routes[name], json=body))
        for name, bodies in oversized.items()
        for index, body in enumerate(bodies)
    }
    assert answers == dict.fromkeys(answers, INVALID)
    # An oversized query parameter is refused the same way, before the token is looked up.
    policy = governance.routes["policy"]
    long_token = http.post(
        policy.path(), params={"access_token": "t" * 10_000}, json=policy.valid_body
    )
    assert outcome(long_token) == INVALID


BAD_PORT_IDS = [
    "abc",
    "-1",
    "0",
    "1.5",
    "1e3",
    "0x1",
    "%00",
    "1%00",
    "%FF",
    "%E2%80%AE1",
    str(MAX_INT32 + 1),
    str(2**63),
    "9" * 400,
]


@BOTH_DATABASES
def test_bad_port_ids_are_invalid_requests_on_every_route(
    http: httpx.Client, governance: Governance, unchanged: None
) -> None:
    answers = {}
    for name, route in governance.with_port_id.items():
        for port_id in BAD_PORT_IDS:
            # Sent as typed: httpx would otherwise re-encode the percent signs.
            url = httpx.URL(str(http.base_url).rstrip("/") + route.path(port_id))
            answers[(name, port_id)] = outcome(
                http.request(
                    route.method,
                    url,
                    params=route.params,
                    headers=route.headers,
                    json=route.valid_body if route.method == "POST" else None,
                )
            )
    assert answers == dict.fromkeys(answers, INVALID)


@BOTH_DATABASES
def test_the_largest_port_id_is_looked_up_not_overflowed(
    http: httpx.Client, governance: Governance, unchanged: None
) -> None:
    # 2³¹−1 is a valid id (PostgreSQL's integer); no such port exists: 404, like any other.
    answers = {
        name: outcome(
            http.request(
                route.method,
                route.path(MAX_INT32),
                params=route.params,
                headers=route.headers,
                json=route.valid_body if route.method == "POST" else None,
            )
        )
        for name, route in governance.with_port_id.items()
    }
    assert answers == dict.fromkeys(answers, "404 port_not_found")


GARBAGE_SLUGS = [
    "abc",
    "A" * 22,  # the shape of a slug, but no link has it
    "A" * 4000,
    "%00",
    "A%00A",
    "%FF%FE",
    "%E2%80%AE",
    "..%5C..%5Cetc",
    "'%20OR%201=1%20--",
    "%3Cscript%3Ealert(1)%3C%5Cscript%3E",
    "%F0%9F%92%A9",
    "slug%0D%0ASet-Cookie:%20x=1",
]


@pytest.mark.parametrize("slug", GARBAGE_SLUGS)
def test_a_url_link_page_for_a_garbage_slug_is_the_404_page(
    http: httpx.Client, platform_url: str, slug: str
) -> None:
    page = http.get(httpx.URL(f"{platform_url}/urllink/{slug}"))
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    if any(control in slug for control in ("%00", "%0D", "%0A")):
        # Control characters are refused before any route runs (common.control_characters).
        assert page.status_code == 400, page.text[:300]
        assert "网址中含有不允许的字符" in page.text
    else:
        assert page.status_code == 404, page.text[:300]
        assert "Link not valid" in page.text and "链接无效" in page.text
    # The page does not echo what was asked for.
    assert "<script>" not in page.text and "Set-Cookie" not in page.text
    assert "x" not in page.cookies
