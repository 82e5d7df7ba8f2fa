"""The host serves an OpenAPI document of what a client sends it (pages with input, the
account forms, the mini-program hand-off and the platform's webhooks), and schemathesis
fuzzes each operation against a real host joined to a real platform with all of its checks
(``tests.support.openapi_fuzz``): every answer is one the document promises, never a server
error, schema-valid requests are taken and invalid ones refused.

The fuzzer carries what real browsers hold: signed-in sessions and the CSRF tokens their
pages rendered, the real password on sign-in, a user whose run ticket opens the container,
pending authorizations for the callback, and webhook deliveries signed with the real
``whsec_`` secret, so that the cases get past the checks into the handlers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from schemathesis import APIOperation, Case, GenerationMode

from tests.host.browsing import Browser as PlatformBrowser
from tests.host.conftest import HOST_PASSWORD, Joined
from tests.support.openapi_checks import signed_delivery
from tests.support.openapi_fuzz import (
    Auth,
    cookieless_session,
    failures_of,
    fuzz_operations,
    unreached,
)

CSRF_SHAPE = "[A-Za-z0-9_-]{43}"

OPERATIONS = {
    "GET /notes/{note_id}",
    "GET /brands",
    "GET /brands/{slug}",
    "GET /search",
    "GET /signin",
    "POST /signin",
    "GET /signup",
    "POST /signup",
    "POST /signout",
    "GET /mp/open",
    "GET /auth/callback",
    "GET /mp/run",
    "POST /webhooks/platform",
}
# The callback's success is a code exchange the platform lets happen once per consent: the
# fuzzer gets as far as the platform's refusal of the codes it makes up.
MUST_SUCCEED = OPERATIONS - {"GET /auth/callback"}


@pytest.fixture
def host_overrides() -> dict[str, object]:
    # Schema-valid sign-ins with made-up passwords are part of the fuzzing; the throttle
    # (tested in test_signin_throttling) would soon refuse the real password as well.
    return {"signin_max_failures_per_account": 10**6, "signin_max_failures_per_address": 10**6}


@dataclass(frozen=True)
class Browser:
    """The cookies a browser holds and the CSRF token its pages render for them."""

    cookies: dict[str, str]
    token: str

    def auth(self, **body: str) -> Auth:
        return Auth(
            cookies=self.cookies,
            body={"csrf_token": self.token, **body},
            shapes={"csrf_token": CSRF_SHAPE},
        )


def _browser(host_url: str, session: str | None = None) -> Browser:
    """A browser with ``session`` (or none), and the token its page renders."""
    cookies = {"host_session": session} if session else {}
    with httpx.Client(base_url=host_url, cookies=cookies) as client:
        page = client.get("/me" if session else "/signin")
        assert page.status_code == 200, page.text
        marker = 'name="csrf_token" value="'
        start = page.text.index(marker) + len(marker)
        token = page.text[start : page.text.index('"', start)]
        return Browser(cookies={**cookies, "mp_csrf": client.cookies["mp_csrf"]}, token=token)


def _signed_in(host_url: str, username: str) -> str:
    """A new session of ``username``, signed in through the form."""
    signing_in = _browser(host_url)
    with httpx.Client(base_url=host_url, cookies=signing_in.cookies) as client:
        done = client.post(
            "/signin",
            data={
                "csrf_token": signing_in.token,
                "username": username,
                "password": HOST_PASSWORD,
            },
        )
        assert done.status_code == 303, done.text
        return done.cookies["host_session"]


@dataclass(frozen=True)
class Host:
    """What the fuzzer is given."""

    joined: Joined
    reader: Browser  # lin, signed in, with a run ticket for the store
    leaving: Browser  # jun, whose session the fuzzer signs out again and again
    authorizing: Browser  # momo, who has started no authorization of her own
    signing_in: Browser  # a browser before sign-in
    notes: list[int]
    slugs: list[str]

    def fresh_state(self, case: Case) -> dict[str, Any]:
        """A schema-valid callback gets the state of an authorization momo just started."""
        if case.meta is not None and case.meta.generation.mode.is_positive:
            started = httpx.get(
                f"{self.joined.host_url}/mp/open",
                params={"appid": self.joined.world.appid},
                cookies=self.authorizing.cookies,
            )
            assert started.status_code == 303, started.text
            state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
            case.query = {**(case.query or {}), "state": state}
        return {}

    def signed(self, case: Case) -> dict[str, Any]:
        secret = self.joined.settings.webhook_secret
        assert secret is not None
        return signed_delivery(case, secret.get_secret_value())

    def auth(self, operation: APIOperation) -> Auth:
        path, method = operation.path, operation.method.upper()
        if path == "/webhooks/platform":
            return Auth(prepare=self.signed)
        if path == "/auth/callback":
            return Auth(cookies=self.authorizing.cookies, prepare=self.fresh_state)
        if path == "/signin" and method == "POST":
            return self.signing_in.auth(username="lin")
        if path == "/signup":
            return self.signing_in.auth()
        if path == "/signout":
            return self.leaving.auth()
        if path == "/signin":
            return Auth()
        return Auth(cookies=self.reader.cookies)

    def real(self, operation: APIOperation, auth: Auth) -> list[SearchStrategy[Case]]:
        """Schema-valid cases aimed at real notes, accounts, the store and the password."""
        path, kwargs = operation.path, auth.strategy_kwargs()

        def positive(**extra: Any) -> SearchStrategy[Case]:
            return operation.as_strategy(GenerationMode.POSITIVE, **kwargs, **extra)

        if path == "/notes/{note_id}":
            notes = st.sampled_from(self.notes)
            return [notes.flatmap(lambda note: positive(path_parameters={"note_id": note}))]
        if path == "/brands/{slug}":
            slugs = st.sampled_from(self.slugs)
            return [slugs.flatmap(lambda slug: positive(path_parameters={"slug": slug}))]
        if path in ("/mp/open", "/mp/run"):
            return [positive(query={"appid": self.joined.world.appid})]
        if path == "/signin" and operation.method.upper() == "POST":

            def with_password(case: Case) -> Case:
                assert isinstance(case.body, dict)
                case.body["password"] = HOST_PASSWORD
                return case

            return [positive().map(with_password)]
        return []


@pytest.fixture
def host(joined: Joined) -> Iterator[Host]:
    reader = PlatformBrowser()
    try:
        # lin opens the store once, through the platform's consent: a run ticket is stored.
        reader.sign_in_to_host(joined)
        results = reader.get(joined.host_url + "/search", params={"q": "Gucci"})
        container = reader.through_platform(reader.tap(results), joined)
        assert container.status_code == 200 and "/mp/run" in str(container.url)
        lin = reader.client.cookies.get("host_session", domain="127.0.0.1")
    finally:
        reader.close()
    assert lin is not None
    feed = httpx.get(joined.host_url + "/").text
    notes = sorted({int(link.split('"', 1)[0]) for link in feed.split('href="/notes/')[1:]})
    yield Host(
        joined=joined,
        reader=_browser(joined.host_url, lin),
        leaving=_browser(joined.host_url, _signed_in(joined.host_url, "jun")),
        authorizing=_browser(joined.host_url, _signed_in(joined.host_url, "momo")),
        signing_in=_browser(joined.host_url),
        notes=notes,
        slugs=["gucci"],
    )


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with cookieless_session() as kept_alive:
        yield kept_alive


def test_every_answer_is_the_one_the_openapi_document_promises(
    joined: Joined, host: Host, session: requests.Session
) -> None:
    schema = schemathesis.openapi.from_url(f"{joined.host_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.label for operation in operations} == OPERATIONS

    tallies = fuzz_operations(
        schema, operations, auth_for=host.auth, session=session, extra_strategies=host.real
    )
    failures = failures_of(tallies)
    assert not failures, failures
    assert unreached(tallies, MUST_SUCCEED) == {}, "the fuzzer did not get into these handlers"
    # Signed deliveries were taken, and the callback's made-up codes refused.
    assert 200 in tallies["POST /webhooks/platform"].statuses
    assert 403 in tallies["GET /auth/callback"].statuses


def test_the_feed_is_not_in_the_document(joined: Joined) -> None:
    document = httpx.get(f"{joined.host_url}/openapi.json").json()
    assert "/" not in document["paths"] and "/me" not in document["paths"]
    assert document["components"]["securitySchemes"]["hostSession"]["name"] == "host_session"
