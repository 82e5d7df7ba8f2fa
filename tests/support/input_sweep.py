"""Control characters in every route's path, query and form: the cases for a service's sweep.

A sweep walks the routes an app really has (FastAPI's ``APIRoute``s and, on the platform,
the lean path's ``FastRoute``s), so a route added later is swept without anyone listing it.
Each case is one request carrying one control character in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from fastapi.routing import APIRoute
from starlette.types import ASGIApp

# NUL, a C0 control, ESC (terminal escapes in logs) and DEL, percent-encoded.
CONTROL_CHARACTERS = ("%00", "%01", "%1b", "%7f")

# Names routes read from the query or a form by hand (not declared to FastAPI), so that a
# sweep reaches them too; a route ignores the ones it does not read.
COMMON_NAMES = (
    "q",
    "next",
    "lang",
    "state",
    "request",
    "code",
    "appid",
    "secret",
    "js_code",
    "grant_type",
    "access_token",
    "client_id",
    "redirect_uri",
    "scope",
    "username",
    "password",
    "display_name",
    "reason",
    "message",
    "decision",
    "token",
)

_PARAM = re.compile(r"\{([^}:]+)(?::[^}]+)?\}")


@dataclass(frozen=True)
class Case:
    method: str
    route: str  # the route's path template, for the report and the family
    place: str  # "path", "query" or "form"
    char: str
    url: str
    lean: bool = False  # on the platform's lean path, which reads what it needs itself
    form: str | None = None  # an urlencoded body
    json: dict[str, str] | None = None  # a JSON body

    @property
    def id(self) -> str:
        return f"{self.method} {self.route} {self.place} {self.char}"


def _value(char: str) -> str:
    return f"a{char}b"


def _path_with(template: str, char: str) -> str:
    return _PARAM.sub(lambda _m: _value(char), template)


def _path_plain(template: str) -> str:
    return _PARAM.sub("1", template)


def _names(route: object) -> list[str]:
    names: list[str] = []
    if isinstance(route, APIRoute):
        names = [param.alias for param in route.dependant.query_params]
        for param in route.dependant.body_params:
            names += list(getattr(param.field_info.annotation, "model_fields", ()))
    return list(dict.fromkeys([*names, *COMMON_NAMES]))


def _query(names: Iterable[str], char: str) -> str:
    return "&".join(f"{quote(name)}={_value(char)}" for name in names)


@dataclass(frozen=True)
class RouteInfo:
    path: str
    methods: frozenset[str]
    names: tuple[str, ...]
    lean: bool = False


def _api_routes(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        # FastAPI 0.16x keeps an included router whole (``_IncludedRouter``) in app.routes.
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from _api_routes(included.routes, prefix + getattr(context, "prefix", ""))


def routes_of(app: Any) -> list[RouteInfo]:
    """Every FastAPI route of ``app`` and, if it has one, every route of its lean path."""
    found = [
        RouteInfo(path, frozenset(route.methods), tuple(_names(route)))
        for path, route in _api_routes(app.routes)
    ]
    fast_path = getattr(app, "fast_path", None)
    if fast_path is not None:
        found += [
            RouteInfo(route.path, route.methods, COMMON_NAMES, lean=True)
            for route in fast_path.routes.values()
        ]
    return found


def _json(names: Iterable[str], char: str) -> dict[str, str]:
    decoded = chr(int(char[1:], 16))
    return dict.fromkeys(names, f"a{decoded}b")


def cases_for(
    routes: Iterable[RouteInfo], *, json_prefixes: tuple[str, ...] = ()
) -> Iterator[Case]:
    """Path, query and form cases for every route; JSON too under ``json_prefixes``."""
    for route in routes:
        for method in sorted(route.methods - {"HEAD"}):
            for char in CONTROL_CHARACTERS:
                where, lean = route.path, route.lean
                if _PARAM.search(where):
                    yield Case(method, where, "path", char, _path_with(where, char), lean)
                plain = _path_plain(where)
                query = plain + "?" + _query(route.names, char)
                yield Case(method, where, "query", char, query, lean)
                if method in {"POST", "PUT", "PATCH"}:
                    form = _query(route.names, char)
                    yield Case(method, where, "form", char, plain, lean, form=form)
                    if where.startswith(json_prefixes):
                        body = _json(route.names, char)
                        yield Case(method, where, "json", char, plain, lean, json=body)


def extra_paths(char: str) -> list[str]:
    """Paths no route has: a control character in an unknown page, a static file, a dotfile."""
    return [f"/{_value(char)}", f"/static/{_value(char)}.css", f"/.well-known/{_value(char)}"]


# What is wrong with an answer to a request to ``path``, or None; ``exact`` when the control
# character is in the path or query, which the service refuses before any route runs.
ShapeCheck = Callable[[httpx.Response, str, bool], str | None]


async def sweep(
    app: ASGIApp, cases: Iterable[Case], extra: Iterable[str], check: ShapeCheck
) -> list[str]:
    """Every case sent to ``app`` in process; the problems ``check`` finds, one line each."""
    problems = []
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for case in cases:
            headers = {"content-type": "application/x-www-form-urlencoded"} if case.form else {}
            response = await client.request(
                case.method, case.url, content=case.form, json=case.json, headers=headers
            )
            exact = case.place in ("path", "query") and not case.lean
            problem = check(response, case.route, exact)
            if problem:
                problems.append(f"{case.id}: {problem}")
        for path in extra:
            problem = check(await client.get(path), path, True)
            if problem:
                problems.append(f"GET {path}: {problem}")
    return problems


def html_page_problem(response: httpx.Response, exact: bool) -> str | None:
    """A page's refusal: never a 5xx, always HTML; 400 when the service refuses up front."""
    status, kind = response.status_code, response.headers.get("content-type", "")
    if status >= 500:
        return f"{status}: {response.text[:200]}"
    if status in (301, 302, 303, 307) and not exact:
        return None  # a form's reader answered first (e.g. sign in first)
    if not kind.startswith("text/html") or "<html" not in response.text:
        return f"{status} {kind} is not a page: {response.text[:200]}"
    return f"{status} is not 400" if exact and status != 400 else None
