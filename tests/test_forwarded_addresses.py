"""Whose address is it? ``X-Forwarded-For`` is believed only from the proxies named in
``TRUSTED_PROXIES``: by default nobody can dodge the per-address sign-in limit by sending a
new address with every guess; behind a configured proxy the forwarded address is the one
limited (and logged). Over real HTTP against ``miniport serve platform`` and ``… host``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from miniport.common.migrate import upgrade
from miniport.platform.settings import PlatformSettings
from tests.support.html_forms import form_with, submit
from tests.support.served import Served, served
from tests.support.servers import free_port

PER_ADDRESS = 3


@contextmanager
def signin_server(service: str, data_dir: Path, *, trusted: str | None) -> Iterator[Served]:
    port = free_port()
    prefix = f"MINIPORT_{service.upper()}_"
    settings = {
        "DATA_DIR": str(data_dir),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "SIGNIN_MAX_FAILURES_PER_ADDRESS": str(PER_ADDRESS),
        "SIGNIN_MAX_FAILURES_PER_ACCOUNT": "100",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_COST": "1024",
        "ARGON2_PARALLELISM": "1",
    }
    options: tuple[str, ...] = ()
    if service == "platform":
        upgrade("platform", PlatformSettings(data_dir=data_dir).database_url)
    else:
        settings |= {"CLIENT_ID": "host-under-test", "CLIENT_SECRET": "s" * 40}
        options = ("--migrate",)
    if trusted is not None:
        settings["TRUSTED_PROXIES"] = trusted
    env = {prefix + name: value for name, value in settings.items()}
    with served(service, port=port, env=env, logs=data_dir / "logs", options=options) as server:
        yield server


def failed_signin(server: Served, number: int, forwarded_for: str) -> int:
    """A wrong password for a new account name, sent as from ``forwarded_for``."""
    headers = {"X-Forwarded-For": forwarded_for}
    with httpx.Client(base_url=server.url, headers=headers, timeout=15) as browser:
        page = browser.get("/signin")
        form = form_with(page.text, "password")
        answer = submit(
            browser, page, form, {"username": f"guess{number}", "password": "not-the-password"}
        )
    return answer.status_code


def access_clients(server: Served) -> set[str]:
    return {
        entry["client"]
        for entry in map(json.loads, server.stdout.read_text().splitlines())
        if entry.get("logger") == "access" and entry["path"] == "/signin"
    }


@pytest.mark.parametrize("service", ["platform", "host"])
def test_a_new_forwarded_address_per_guess_does_not_dodge_the_limit(
    service: str, tmp_path: Path
) -> None:
    with signin_server(service, tmp_path, trusted=None) as server:
        statuses = [
            failed_signin(server, number, f"203.0.113.{number}")
            for number in range(PER_ADDRESS + 2)
        ]
    assert statuses == [422] * PER_ADDRESS + [429, 429]
    # The log names the address the request really came from.
    assert access_clients(server) == {"127.0.0.1"}


@pytest.mark.parametrize("service", ["platform", "host"])
def test_behind_a_trusted_proxy_the_forwarded_address_is_limited(
    service: str, tmp_path: Path
) -> None:
    with signin_server(service, tmp_path, trusted="127.0.0.1, 10.0.0.0/8") as server:
        others = [failed_signin(server, number, f"203.0.113.{number}") for number in range(4)]
        # Through a chain of proxies the client is the last address no trusted one added.
        same = [
            failed_signin(server, 10 + number, "198.51.100.7, 10.1.2.3")
            for number in range(PER_ADDRESS + 1)
        ]
    assert others == [422] * 4  # four people behind the proxy, one failure each
    assert same == [422] * PER_ADDRESS + [429]
    assert access_clients(server) == {f"203.0.113.{number}" for number in range(4)} | {
        "198.51.100.7"
    }
