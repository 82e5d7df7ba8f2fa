"""What the servers log holds no secret: the article's world served as ``miniport serve``
serves it (default logging, output to files), a person walking the whole scenario through
it, partners calling the API with secrets in query strings, then a short load; afterwards
every password, secret, code, token and cookie of the run is looked for in every line the
three servers wrote, and none is there — while the access log recorded every request."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from sqlalchemy import select

from miniport.common.db import make_engine, make_sessionmaker
from miniport.demo import DemoLayout, datadir, seed_world
from miniport.demo.world import HOST_PASSWORD, PLATFORM_USER, STAFF_PASSWORD, SeededWorld
from miniport.host.container.models import RunTicket
from miniport.host.container.sealing import Sealer
from miniport.host.settings import HostSettings
from tests.host.browsing import entry_href, iframe_src
from tests.support.html_forms import form_with, forms_of, submit
from tests.support.served import Served, served
from tests.support.servers import free_port

LOAD_REQUESTS = 300
SERVED = ("platform", "xiaohongshu", "gucci")


@dataclass
class Run:
    """Everything secret that went over the wire in this run, and every request id seen."""

    secrets: set[str] = field(default_factory=set)
    request_ids: set[str] = field(default_factory=set)

    def keep(self, *values: str | None) -> None:
        self.secrets.update(value for value in values if value)

    def see(self, response: httpx.Response) -> None:
        self.request_ids.add(response.headers.get("x-request-id", "(none)"))

    def watch(self, response: httpx.Response) -> None:
        """A response hook: the codes in redirects, the forms' CSRF tokens, the ids.

        Not ``state``, ``nonce`` or the PKCE challenge: they travel through the browser by
        design, are bound to a session and grant nothing on their own.
        """
        self.see(response)
        location = response.headers.get("location", "")
        self.keep(*parse_qs(urlsplit(location).query).get("code", ()))
        if response.headers.get("content-type", "").startswith("text/html"):
            response.read()
            for form in forms_of(response.text):
                self.keep(form.fields.get("csrf_token"))


@dataclass(frozen=True)
class Servers:
    world: SeededWorld
    by_key: dict[str, Served]

    def url(self, key: str) -> str:
        return self.by_key[key].url


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    layout = DemoLayout(
        data_dir=tmp_path / "world",
        platform_port=free_port(),
        xiaohongshu_port=free_port(),
        jd_port=free_port(),
        gucci_port=free_port(),
        louis_vuitton_port=free_port(),
        cheap_hashing=True,
    )
    datadir.reset(layout.data_dir)
    world = seed_world(layout)
    with ExitStack() as stack:
        by_key = {}
        for key in SERVED:
            service = world.service(key)
            by_key[key] = stack.enter_context(
                served(
                    service.kind.value,
                    port=service.port,
                    env=service.env(),
                    logs=layout.data_dir / "logs",
                    ready_path="/.well-known/openid-configuration" if key == "platform" else "/",
                )
            )
        yield Servers(world, by_key)


def host_tokens(settings: HostSettings) -> list[str]:
    """The run tickets the host keeps, unsealed with its own key."""
    engine = make_engine(settings.database_url)
    sealer = Sealer(settings.token_key())
    try:
        with make_sessionmaker(engine)() as session:
            found = []
            for ticket in session.scalars(select(RunTicket)):
                context = f"{ticket.user_id}:{ticket.appid}"
                found.append(sealer.open(ticket.sealed_access_token, context="access:" + context))
                if ticket.sealed_refresh_token:
                    found.append(
                        sealer.open(ticket.sealed_refresh_token, context="refresh:" + context)
                    )
            return found
    finally:
        engine.dispose()


def walk_the_scenario(servers: Servers, run: Run) -> str:
    """Sign in to 小红书, find Gucci, open its store through the platform; the store's page."""
    hooks: dict[str, list[Any]] = {"response": [run.watch]}
    with httpx.Client(follow_redirects=True, timeout=30, event_hooks=hooks) as browser:
        host = servers.url("xiaohongshu")
        page = browser.get(host + "/signin")
        signed_in = submit(
            browser,
            page,
            form_with(page.text, "password"),
            {"username": PLATFORM_USER.username, "password": HOST_PASSWORD},
        )
        assert signed_in.status_code == 200
        results = browser.get(host + "/search", params={"q": "Gucci"})
        href = entry_href(results.text)
        assert href is not None, "the Gucci card carries no store entry"
        page = browser.get(str(results.url.join(href)))
        assert str(page.url).startswith(servers.url("platform"))
        page = submit(
            browser,
            page,
            form_with(page.text, "password"),
            {"username": PLATFORM_USER.username, "password": PLATFORM_USER.password},
        )
        container = submit(browser, page, form_with(page.text, "decision"), {"decision": "allow"})
        assert str(container.url).startswith(host + "/mp/run"), container.text[:500]
        launch_url = iframe_src(container.text)
        run.keep(*parse_qs(urlsplit(launch_url).query)["code"])
        store = browser.get(launch_url)
        assert store.status_code == 200 and str(store.url).startswith(servers.url("gucci"))
        # The same launch code again: the store's exchange is refused and it says so (and
        # logs a warning about the failed jscode2session).
        again = httpx.get(launch_url, timeout=30, follow_redirects=True)
        assert again.status_code in (400, 403), again.status_code
        run.keep(*(cookie.value for cookie in browser.cookies.jar if cookie.value))
        return store.text


def call_the_api(servers: Servers, run: Run) -> None:
    """A brand's backend and a host's backend, with their secrets in query strings."""
    platform = servers.url("platform")
    store = servers.world.credentials.mini_program("gucci")
    with httpx.Client(base_url=platform, timeout=30, event_hooks={"response": [run.watch]}) as api:
        token = api.get(
            "/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": store.appid,
                "secret": store.secret,
            },
        ).json()
        assert "access_token" in token, token
        run.keep(token["access_token"])
        link = api.post(
            "/wxa/generate_urllink",
            params={"access_token": token["access_token"]},
            json={"path": "/pages/index", "query": ""},
        ).json()
        assert link["errcode"] == 0, link
        # A wrong secret: refused, and the attempt is in the log, without the secret.
        wrong = "wrong-" + secrets.token_urlsafe(24)
        run.keep(wrong)
        refused = api.get(
            "/sns/jscode2session",
            params={
                "appid": store.appid,
                "secret": wrong,
                "js_code": "x" * 32,
                "grant_type": "authorization_code",
            },
        ).json()
        assert refused["errcode"] == 40125, refused


def load(servers: Servers, run: Run, run_ticket: str) -> None:
    """A few hundred requests carrying secrets in their query strings, several at a time."""
    platform = servers.url("platform")
    store = servers.world.credentials.mini_program("gucci")

    def one(number: int) -> httpx.Response:
        with httpx.Client(base_url=platform, timeout=30) as client:
            kind = number % 3
            if kind == 0:
                return client.get(
                    "/cgi-bin/token",
                    params={
                        "grant_type": "client_credential",
                        "appid": store.appid,
                        "secret": store.secret,
                    },
                )
            if kind == 1:
                js_code = secrets.token_urlsafe(24)
                run.keep(js_code)
                return client.get(
                    "/sns/jscode2session",
                    params={
                        "appid": store.appid,
                        "secret": store.secret,
                        "js_code": js_code,
                        "grant_type": "authorization_code",
                    },
                )
            return client.post(
                "/wxa/launch",
                params={"access_token": run_ticket},
                json={
                    "appid": store.appid,
                    "path": "/pages/index",
                    "query": "",
                    "user_key": "load-user",
                },
            )

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(one, range(LOAD_REQUESTS)))
    for answer in answers:
        assert answer.status_code == 200, answer.text
        run.see(answer)
        body = answer.json()
        run.keep(body.get("access_token"), body.get("code"), body.get("session_key"))


def access_lines(server: Served) -> list[dict[str, Any]]:
    entries = [json.loads(line) for line in server.stdout.read_text().splitlines() if line]
    return [entry for entry in entries if entry["logger"] == "access"]


def test_no_secret_of_a_full_run_and_a_load_reaches_any_log(servers: Servers) -> None:
    run = Run()
    world = servers.world
    host_credentials = world.credentials.host("xiaohongshu")
    store_credentials = world.credentials.mini_program("gucci")
    run.keep(
        PLATFORM_USER.password,
        HOST_PASSWORD,
        STAFF_PASSWORD,
        host_credentials.client_secret,
        host_credentials.webhook_secret,
        store_credentials.secret,
        # The secrets the services generated for themselves.
        *(path.read_text().strip() for path in world.layout.data_dir.glob("*.secret")),
    )

    store_page = walk_the_scenario(servers, run)
    assert "GUCCI" in store_page
    call_the_api(servers, run)
    tickets = host_tokens(world.service("xiaohongshu").settings())  # type: ignore[arg-type]
    assert tickets, "the host stored no run ticket"
    run.keep(*tickets)
    load(servers, run, tickets[0])

    # Stopped as Ctrl-C stops them: every buffered line is written out.
    for server in servers.by_key.values():
        server.stop()
    everything = "\n".join(server.output() for server in servers.by_key.values())

    assert len(run.secrets) > LOAD_REQUESTS // 3
    leaked = sorted(
        secret
        for secret in run.secrets
        if len(secret) >= 8 and (secret in everything or quote(secret, safe="") in everything)
    )
    assert leaked == [], f"{len(leaked)} secrets in the logs, e.g. {leaked[:3]}"

    platform = access_lines(servers.by_key["platform"])
    host = access_lines(servers.by_key["xiaohongshu"])
    store = access_lines(servers.by_key["gucci"])
    # Every request of the run has its line, under the id its response carried.
    logged_ids = {entry["request_id"] for entry in platform + host + store}
    assert run.request_ids <= logged_ids
    assert len(platform) >= LOAD_REQUESTS
    exchanges = [entry for entry in platform if entry["path"] == "/sns/jscode2session"]
    assert len(exchanges) > LOAD_REQUESTS // 3  # the load's and the store's own
    assert all("secret=***" in entry["query"] for entry in exchanges)
    assert all("js_code=***" in entry["query"] for entry in exchanges)
    assert any(entry["path"] == "/auth/callback" and "code=***" in entry["query"] for entry in host)
    assert any(entry["path"] == "/mp/entry" and "code=***" in entry["query"] for entry in store)
    assert any(
        entry["path"] == "/wxa/launch" and entry["query"] == "access_token=***"
        for entry in platform
    )
