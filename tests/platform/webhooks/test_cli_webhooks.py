"""``miniport webhooks`` and the webhook secrets the registry commands print, as an operator
would use them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from miniport.common.clock import utcnow
from miniport.platform.registry.models import HostApp
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.webhooks.outbox import enqueue
from tests.platform.webhooks.cli import Cli, cli_env
from tests.platform.webhooks.conftest import Partners, close_port
from tests.platform.webhooks.receiver import Receiver


@pytest.fixture
def cli(platform_settings: PlatformSettings, runtime: PlatformRuntime) -> Cli:
    # ``runtime`` first: it is what makes sure the database exists at the current schema.
    return Cli(platform_settings)


def test_host_and_brand_creation_print_the_webhook_secret_once(cli: Cli) -> None:
    brand = cli.json(
        "brand", "create", "--slug", "gucci", "--name-zh", "古驰", "--name-en", "Gucci",
        "--webhook-url", "https://gucci.example/hooks",
    )  # fmt: skip
    host = cli.json(
        "host", "create", "--slug", "xhs", "--name-zh", "小红书", "--name-en", "Xiaohongshu",
        "--redirect-uri", "https://xhs.example/cb", "--webhook-url", "https://xhs.example/hooks",
    )  # fmt: skip
    no_url = cli.json("brand", "create", "--slug", "fendi", "--name-zh", "芬迪", "--name-en", "F")

    assert brand["webhook_secret"].startswith("whsec_")
    assert host["webhook_secret"].startswith("whsec_")
    assert "webhook_secret" not in no_url
    assert "webhook_secret" not in cli.json("brand", "show", "gucci")
    assert "webhook_secret" not in cli.json("host", "show", "xhs")
    assert all("webhook_secret" not in row for row in cli.json("host", "list")["host_apps"])


def test_human_output_shows_the_webhook_secret_on_its_own_line(cli: Cli) -> None:
    result = cli(
        "brand", "create", "--slug", "gucci", "--name-zh", "古驰", "--name-en", "Gucci",
        "--webhook-url", "https://gucci.example/hooks",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    secret_lines = [line for line in lines if line.startswith("whsec_")]
    assert len(secret_lines) == 1
    assert "shown once" in result.stdout


def test_set_url_and_rotate_secret(cli: Cli, runtime: PlatformRuntime) -> None:
    cli.json("brand", "create", "--slug", "gucci", "--name-zh", "古驰", "--name-en", "Gucci")

    first = cli.json("webhooks", "set-url", "--brand", "gucci", "https://gucci.example/hooks")
    assert first["partner_kind"] == "brand"
    assert first["webhook_url"] == "https://gucci.example/hooks"
    assert first["webhook_secret"].startswith("whsec_")
    again = cli.json("webhooks", "set-url", "--brand", "gucci", "https://gucci.example/v2")
    assert "webhook_secret" not in again

    rotated = cli.json("webhooks", "rotate-secret", "--brand", "gucci")
    assert rotated["webhook_secret"].startswith("whsec_")
    assert rotated["webhook_secret"] != first["webhook_secret"]

    assert "exactly one" in cli.json("webhooks", "rotate-secret", exit_code=1)["error"]
    bad = cli.json("webhooks", "set-url", "--brand", "gucci", "ftp://gucci.example", exit_code=1)
    assert "http" in bad["error"]
    assert (
        "no brand" in cli.json("webhooks", "rotate-secret", "--brand", "nope", exit_code=1)["error"]
    )


def test_list_resend_and_run_once(
    cli: Cli, runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    receiver.script["host"] = [500]
    close_port(runtime.sessions, partners.port_id)

    assert cli.json("webhooks", "run", "--once") == {"attempted": 2}
    listed = cli.json("webhooks", "list")["deliveries"]
    assert {(d["partner_kind"], d["event_type"], d["state"], d["attempts"]) for d in listed} == {
        ("host", "port.closed", "pending", 1),
        ("brand", "port.closed", "delivered", 1),
    }
    assert [d["partner_kind"] for d in cli.json("webhooks", "list", "--state", "pending")[
        "deliveries"
    ]] == ["host"]  # fmt: skip
    event_id = listed[0]["event_id"]

    resent = cli.json("webhooks", "resend", event_id)
    assert resent["event_id"] == event_id
    assert sorted(d["partner_kind"] for d in resent["deliveries"]) == ["brand", "host"]
    assert cli.json("webhooks", "run", "--once") == {"attempted": 2}

    host_copies = receiver.events("host")
    assert len(host_copies) == 2 and {c.webhook_id for c in host_copies} == {event_id}
    assert len(receiver.events("brand")) == 2
    assert "no webhook event" in cli.json("webhooks", "resend", "evt_nope", exit_code=1)["error"]


def test_worker_processes_running_at_once_send_each_event_once(
    platform_settings: PlatformSettings,
    runtime: PlatformRuntime,
    partners: Partners,
    receiver: Receiver,
) -> None:
    now = utcnow()
    with runtime.sessions() as session, session.begin():
        host = session.get(HostApp, partners.world.client_id)
        assert host is not None
        event_ids = [
            enqueue(session, event_type="port.staged", data={"n": n}, hosts=[host], brands=[],
                    now=now)
            for n in range(60)
        ]  # fmt: skip
    miniport = Path(sys.executable).with_name("miniport")
    env = {**os.environ, **cli_env(platform_settings)}
    workers = [
        subprocess.Popen(
            [str(miniport), "webhooks", "run", "--once", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [worker.communicate(timeout=60) for worker in workers]

    assert all(worker.returncode == 0 for worker in workers), outputs
    assert sum(json.loads(out)["attempted"] for out, _ in outputs) == 60, outputs
    received = sorted(item.webhook_id for item in receiver.events("host", "port.staged"))
    assert received == sorted(event_ids), (outputs, receiver.rejected)


def test_a_standalone_worker_delivers_until_sigterm(
    platform_settings: PlatformSettings,
    runtime: PlatformRuntime,
    partners: Partners,
    receiver: Receiver,
) -> None:
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("miniport")), "webhooks", "run",
         "--poll-seconds", "0.1"],
        env={**os.environ, **cli_env(platform_settings)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        close_port(runtime.sessions, partners.port_id)
        receiver.wait_for(lambda: bool(receiver.events("host")) and bool(receiver.events("brand")))
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
    assert "Stopped." in output
    assert [item.type for item in receiver.received] == ["port.closed", "port.closed"]
