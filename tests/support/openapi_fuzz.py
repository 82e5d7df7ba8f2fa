"""Fuzzing a service's ``/openapi.json`` against the real server, with every check.

Each operation gets schemathesis' coverage cases (boundary values, wrong types, missing and
unexpected parameters, other methods) and Hypothesis-generated positive and negative cases,
and every answer goes through all of schemathesis' checks, as ``schemathesis run --checks
all`` would: no server error, documented statuses, content types, headers and bodies,
schema-valid requests accepted and schema-violating ones refused, ``Allow`` on 405, auth
enforced. ``negative_data_rejection`` and ``positive_data_acceptance`` run as their
``…_by_protocol`` forms, which read the refusals of the mini-program API, the authorization
endpoint and the sign-in forms as their specifications write them
(``tests.support.openapi_checks``).

(``@schema.parametrize()`` would need the schema at import time, before any fixture has
built a database, and ``schemathesis.pytest.from_fixture`` does not run on pytest 9.2; so
the walk is done here: ``APIOperation.as_strategy`` for the generated cases,
``BaseSchema.iter_coverage_cases`` for the coverage phase.)
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.parameters import ParameterLocation
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from tests.support.openapi_checks import (
    as_a_client_sends,
    negative_data_rejection_by_protocol,
    positive_data_acceptance_by_protocol,
)

# Generated cases per operation and strategy; MINIPORT_FUZZ_EXAMPLES raises it for a deeper
# run on a developer's machine. The default keeps each fuzz test well under a minute here.
EXAMPLES = int(os.environ.get("MINIPORT_FUZZ_EXAMPLES", "15"))

load_all_checks()
REPLACED = (negative_data_rejection, positive_data_acceptance)
ALL_CHECKS = [check for check in CHECKS.get_all() if check not in REPLACED]
assert negative_data_rejection_by_protocol in ALL_CHECKS
assert positive_data_acceptance_by_protocol in ALL_CHECKS


@dataclass(frozen=True)
class Auth:
    """Real credentials for one operation, by where they go. ``body`` fields are set on
    schema-valid cases; on an invalid one only the fields named in ``shapes`` whose
    generated value already has that shape (a regular expression), so the case stays as
    invalid as it was and reaches the handler with real credentials. ``cookies`` go with
    every case; one generated invalid in its cookies keeps its generated cookie parameters
    (the security schemes' cookies are still real). ``prepare`` may change a case just
    before it is sent (a fresh single-use code, a signature over the body) and returns extra
    keyword arguments for ``Case.call``."""

    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, str] = field(default_factory=dict)
    shapes: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)
    prepare: Callable[[Case], Mapping[str, Any]] | None = None

    def strategy_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.query:
            kwargs["query"] = dict(self.query)
        if self.headers:
            kwargs["headers"] = dict(self.headers)
        return kwargs


@dataclass
class Tally:
    """What one operation answered, and every failure found, with a way to replay it."""

    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def _describe(failure: BaseException) -> str:
    """A failure with what it groups (Hypothesis and schemathesis both raise groups)."""
    lines = [f"{type(failure).__name__}: {failure}"]
    for inner in getattr(failure, "exceptions", ()):
        lines += ["  " + line for line in _describe(inner).splitlines()]
    return "\n".join(lines)


def _positive(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def _with_body(case: Case, auth: Auth) -> Case:
    if not auth.body or not isinstance(case.body, dict):
        return case
    if _positive(case):
        case.body.update(auth.body)
        return case
    for name, shape in auth.shapes.items():
        value = case.body.get(name)
        if name in auth.body and isinstance(value, str) and re.fullmatch(shape, value):
            case.body[name] = auth.body[name]
    return case


def _authenticate(case: Case, auth: Auth) -> None:
    """Put real credentials on a coverage case, replacing whatever it generated for them."""
    for name, value in auth.query.items():
        if isinstance(case.query, dict):
            case.query[name] = value
        elif case.query is None:
            case.query = {name: value}
    for name, value in auth.headers.items():
        lowered = name.lower()
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != lowered}
        case.headers = {**headers, name: value}
    _with_body(case, auth)


def _send(case: Case, session: requests.Session, tally: Tally, auth: Auth) -> None:
    as_a_client_sends(case)
    extra = dict(auth.prepare(case)) if auth.prepare is not None else {}
    cookies = dict(auth.cookies)
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.COOKIE):
        # The cookie parameters stay as generated; the session (security) cookies are real.
        sessions = {parameter.name for parameter in case.operation.security.iter_parameters()}
        cookies = {name: value for name, value in cookies.items() if name in sessions}
    if cookies:
        extra["cookies"] = cookies
    response = case.call(session=session, timeout=10, **extra)
    tally.statuses[response.status_code] += 1
    case.validate_response(response, checks=ALL_CHECKS)


def _run_coverage(
    schema: BaseSchema,
    operation: APIOperation,
    auth: Auth,
    session: requests.Session,
    tally: Tally,
) -> None:
    cases: Iterable[Case] = schema.iter_coverage_cases(
        operation,
        generation_modes=list(GenerationMode),
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
    )
    for case in cases:
        _authenticate(case, auth)
        try:
            _send(case, session, tally, auth)
        except (Exception, FailureGroup) as failure:  # every failure is reported at the end
            tally.failures.append(f"{_describe(failure)}\n  replay: {case.as_curl_command()}")


def _run_fuzzing(
    strategy: SearchStrategy[Case], session: requests.Session, tally: Tally, auth: Auth
) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Case) -> None:
        _send(case, session, tally, auth)

    try:
        fuzz()
    except Unsatisfiable:
        pass  # nothing in this operation's schema can be made invalid: no negative cases
    except (Exception, FailureGroup) as failure:  # shrunk; every failure is reported at the end
        tally.failures.append(_describe(failure))


def fuzz_operations(
    schema: BaseSchema,
    operations: Iterable[APIOperation],
    *,
    auth_for: Callable[[APIOperation], Auth],
    session: requests.Session,
    extra_strategies: Callable[[APIOperation, Auth], list[SearchStrategy[Case]]] = (
        lambda _operation, _auth: []
    ),
) -> dict[str, Tally]:
    """Fuzz each operation in turn (coverage, then generated cases); the tallies by label."""
    tallies: dict[str, Tally] = {}
    for operation in operations:
        tally = tallies[operation.label] = Tally()
        auth = auth_for(operation)
        _run_coverage(schema, operation, auth, session, tally)
        kwargs = auth.strategy_kwargs()

        def with_body(case: Case, auth: Auth = auth) -> Case:
            return _with_body(case, auth)

        strategies = [
            (operation.as_strategy(GenerationMode.POSITIVE, **kwargs).map(with_body), auth),
            (operation.as_strategy(GenerationMode.NEGATIVE, **kwargs).map(with_body), auth),
            # Without any real credential: whatever else is wrong, still refused.
            (operation.as_strategy(GenerationMode.NEGATIVE), Auth()),
            *((extra.map(with_body), auth) for extra in extra_strategies(operation, auth)),
        ]
        for strategy, sent_with in strategies:
            _run_fuzzing(strategy, session, tally, sent_with)
    return tallies


@contextmanager
def cookieless_session() -> Iterator[requests.Session]:
    """A kept-alive session that keeps no cookies: every case carries exactly the cookies
    it was generated or authenticated with, never one a previous answer set."""
    with requests.Session() as session:
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        yield session


def failures_of(tallies: Mapping[str, Tally]) -> str:
    """Every failure, by operation, in full; empty when there were none."""
    return "\n\n".join(
        f"{label}:\n" + "\n".join(tally.failures)
        for label, tally in tallies.items()
        if tally.failures
    )


def unreached(tallies: Mapping[str, Tally], must_succeed: Iterable[str]) -> dict[str, Any]:
    """The operations of ``must_succeed`` that never answered 2xx (or 3xx: a redirect is
    how a page-flow endpoint succeeds)."""
    return {
        label: dict(tallies[label].statuses)
        for label in must_succeed
        if not any(200 <= status < 400 for status in tallies[label].statuses)
    }
