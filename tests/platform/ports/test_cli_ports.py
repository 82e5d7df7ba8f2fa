"""``miniport port …``: an operator governs ports from a shell, as a script would drive it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from miniport.cli import app
from miniport.common.clock import utcnow
from miniport.platform.accounts.users import create_user
from miniport.platform.ports.models import HostSuspension, Port
from miniport.platform.ports.states import Actor
from miniport.platform.registry.admin import create_operator
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.webhooks.models import WebhookEvent
from tests.factories import World
from tests.platform.ports.conftest import port_id_of, request_port


class PortCli:
    """Runs ``miniport port`` in-process against the test's platform database."""

    def __init__(self, settings: PlatformSettings) -> None:
        self.env = {
            "MINIPORT_PLATFORM_ENVIRONMENT": "test",
            "MINIPORT_PLATFORM_DATA_DIR": str(settings.data_dir),
            "MINIPORT_PLATFORM_DATABASE_URL": settings.database_url,
            "MINIPORT_PLATFORM_BUS_URL": "",
        }
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, ["port", *args], env=self.env)

    def json(self, *args: str) -> dict[str, Any]:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        [line] = result.stdout.splitlines()
        payload: dict[str, Any] = json.loads(line)
        return payload

    def error(self, *args: str, exit_code: int = 1) -> str:
        result = self(*args, "--json")
        assert result.exit_code == exit_code, result.output
        [line] = result.stdout.splitlines()
        payload = json.loads(line)
        assert set(payload) == {"error"}
        message: str = payload["error"]
        return message


@pytest.fixture
def cli(platform_settings: PlatformSettings, runtime: PlatformRuntime, world: World) -> PortCli:
    with runtime.sessions() as session, session.begin():
        create_operator(
            session,
            runtime.passwords,
            username="ops",
            display_name="Ops",
            password="p" * 12,
            actor=Actor.system(),
        )
        create_user(
            session, runtime.passwords, username="eve", display_name="Eve", password="p" * 12
        )
    return PortCli(platform_settings)


def test_list_show_history(cli: PortCli, runtime: PlatformRuntime, world: World) -> None:
    listing = cli.json("list")
    assert {(p["client_id"], p["appid"], p["state"]) for p in listing["ports"]} == {
        (world.client_id, world.appid, "open"),
        (world.client_id, world.second_appid, "open"),
    }
    assert cli.json("list", "--host", "jd")["ports"] == []
    assert len(cli.json("list", "--appid", world.appid, "--state", "open")["ports"]) == 1
    port_id = port_id_of(runtime, world.client_id, world.appid)
    shown = cli.json("show", str(port_id))
    assert shown["id"] == port_id and shown["state"] == "open" and "history" not in shown
    history = cli.json("history", str(port_id))
    assert history["port_id"] == port_id
    assert [h["to_state"] for h in history["history"]] == ["requested", "open"]
    # Operators see which staff member acted.
    assert history["history"][-1]["actor"] == {"kind": "operator", "id": "test-operator"}
    assert cli.error("show", "999") == "port_not_found: no such port"
    # Human output works too.
    assert cli("list").exit_code == 0 and cli("history", str(port_id)).exit_code == 0


def test_close_and_reopen(cli: PortCli, runtime: PlatformRuntime, world: World) -> None:
    port_id = str(port_id_of(runtime, world.client_id, world.appid))
    missing_reason = cli("close", port_id, "--operator", "ops", "--json")
    assert missing_reason.exit_code == 2
    assert "error" in json.loads(missing_reason.stdout.splitlines()[0])
    assert cli.error("close", port_id, "--operator", "ops", "--reason", "  ") == (
        "invalid_request: --reason must not be empty"
    )
    closed = cli.json(
        "close", port_id, "--operator", "ops", "--reason", "counterfeits", "--category", "security"
    )
    assert closed["state"] == "closed"
    assert closed["last_transition"]["actor"] == {"kind": "operator", "id": "ops"}
    assert closed["last_transition"]["reason_category"] == "security"
    with runtime.sessions() as session:
        events = session.scalars(select(WebhookEvent.type).order_by(WebhookEvent.created_at))
        assert "port.closed" in list(events)
    again = cli.error("close", port_id, "--operator", "ops", "--reason", "x")
    assert again.startswith("illegal_transition:")
    # --actor, the flag's name on the registry commands, is the same option here.
    reopened = cli.json("reopen", port_id, "--actor", "ops", "--reason", "resolved")
    assert reopened["state"] == "open"
    assert reopened["last_transition"]["actor"] == {"kind": "operator", "id": "ops"}


def test_only_operators_act(cli: PortCli, runtime: PlatformRuntime, world: World) -> None:
    port_id = str(port_id_of(runtime, world.client_id, world.appid))
    assert cli.error("close", port_id, "--operator", "eve", "--reason", "x") == (
        "not_allowed: user 'eve' does not hold the operator role"
    )
    assert "no user" in cli.error("close", port_id, "--operator", "nobody", "--reason", "x")
    assert cli.error("close", port_id, "--actor", "eve", "--reason", "x") == (
        "not_allowed: user 'eve' does not hold the operator role"
    )
    with runtime.sessions() as session:
        port = session.get(Port, int(port_id))
        assert port is not None and port.state == "open"


def test_apply_approve_reject(cli: PortCli, runtime: PlatformRuntime, world: World) -> None:
    applied = cli.json(
        "apply", "--host", "jd", "--appid", world.appid, "--reason", "pilot", "--operator", "ops"
    )
    assert applied["state"] == "requested" and applied["client_id"] == world.other_client_id
    approved = cli.json("approve", str(applied["id"]), "--operator", "ops")
    assert approved["state"] == "open"
    requested = request_port(runtime, client_id=world.other_client_id, appid=world.second_appid)
    rejected = cli.json(
        "reject", str(requested), "--operator", "ops", "--reason", "not this one",
        "--expected-version", "1",
    )  # fmt: skip
    assert rejected["state"] == "rejected"
    stale = cli.error("approve", str(applied["id"]), "--operator", "ops", "--expected-version", "1")
    assert stale.startswith("stale_version:")


def test_stage_keeps_what_it_is_not_told(
    cli: PortCli, runtime: PlatformRuntime, world: World
) -> None:
    port_id = str(port_id_of(runtime, world.client_id, world.appid))
    trial_end = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    staged = cli.json(
        "stage", port_id, "--operator", "ops", "--rollout", "25", "--allow", "tester",
        "--trial-ends-at", trial_end.isoformat(), "--quota", "500",
    )  # fmt: skip
    assert staged["staging"] == {
        "rollout_percent": 25,
        "allow_list": ["tester"],
        "trial_ends_at": trial_end.isoformat(),
        "daily_launch_quota": 500,
    }
    again = cli.json("stage", port_id, "--operator", "ops", "--rollout", "50", "--quota", "none")
    assert again["staging"] == {
        "rollout_percent": 50,
        "allow_list": ["tester"],
        "trial_ends_at": trial_end.isoformat(),
        "daily_launch_quota": None,
    }
    assert "time zone" in cli.error(
        "stage", port_id, "--operator", "ops", "--trial-ends-at", "2030-01-01T00:00:00"
    )
    assert cli.error("stage", port_id, "--operator", "ops", "--rollout", "101").startswith(
        "invalid_staging:"
    )


def test_policy_and_host_suspension(cli: PortCli, runtime: PlatformRuntime, world: World) -> None:
    assert cli.json("policy", world.appid, "auto_approve", "--operator", "ops") == {
        "appid": world.appid,
        "policy": "auto_approve",
    }
    applied = cli.json(
        "apply", "--host", "jd", "--appid", world.appid, "--reason", "x", "--operator", "ops"
    )
    assert applied["state"] == "open"

    assert cli("suspend-host", "xiaohongshu", "--operator", "ops", "--json").exit_code == 2
    suspended = cli.json(
        "suspend-host", "xiaohongshu", "--operator", "ops", "--reason", "abuse report"
    )
    assert suspended["client_id"] == world.client_id and suspended["host_suspended"] is True
    assert len(suspended["ports"]) == 2
    with runtime.sessions() as session:
        assert session.get(HostSuspension, world.client_id) is not None
    again = cli.error("suspend-host", world.client_id, "--operator", "ops", "--reason", "x")
    assert again.startswith("illegal_transition:")
    resumed = cli.json("resume-host", world.client_id, "--operator", "ops", "--reason", "ok")
    assert resumed["host_suspended"] is False


def test_expire_due(cli: PortCli, runtime: PlatformRuntime, world: World) -> None:
    port_id = port_id_of(runtime, world.client_id, world.appid)
    with runtime.sessions() as session, session.begin():
        port = session.get(Port, port_id)
        assert port is not None
        port.trial_ends_at = utcnow() - dt.timedelta(seconds=1)
    assert cli.json("expire-due") == {"expired": [port_id]}
    assert cli.json("expire-due") == {"expired": []}
    assert cli.json("show", str(port_id))["state"] == "expired"
