"""Changes made with the ``miniport`` command line land in the audit log exactly as the same
change made in a console does: same action, target and before/after, an operator-kind actor
(``--actor``, default ``cli:<OS user>``), and never a secret; the chain still verifies."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from miniport.common.db import make_sessionmaker
from miniport.platform.audit.changes import fingerprint
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.webhooks.models import WebhookDelivery, WebhookEvent
from tests.factories import build_world
from tests.support.platform_cli import PlatformCli

REDIRECT = "https://notes.example/auth/callback"


@pytest.fixture
def cli(platform_settings: PlatformSettings) -> Iterator[PlatformCli]:
    runner = PlatformCli(platform_settings)
    yield runner
    runner.close()


def _op(action: str, target: str, actor: str = "cli:alice") -> tuple[str, str, str, str, str]:
    return (action, target, "operator", actor, actor)


def test_each_registry_command_writes_its_entry_and_the_chain_still_verifies(
    cli: PlatformCli,
) -> None:
    secrets: list[str] = []

    brand = cli.json(
        "brand", "create", "--slug", "gucci", "--name-zh", "古驰", "--name-en", "Gucci",
        "--webhook-url", "https://gucci.example/hooks",
    )  # fmt: skip
    secrets.append(brand["webhook_secret"])
    assert cli.new_entries(0) == [_op("brand.created", f"brand:{brand['id']}")]

    seen = cli.head()
    mp = cli.json(
        "mp", "create", "--brand", "gucci", "--name-zh", "古驰旗舰店", "--name-en", "Gucci Store",
        "--entry-url", "https://gucci.example/mp", "--path", "/pages/index",
    )  # fmt: skip
    rotated_mp = cli.json("mp", "rotate-secret", mp["appid"], "--actor", "deploy-bot")
    secrets += [mp["secret"], rotated_mp["secret"]]
    assert cli.new_entries(seen) == [
        _op("mini_program.created", f"mini_program:{mp['appid']}"),
        _op("mini_program.secret_rotated", f"mini_program:{mp['appid']}", "deploy-bot"),
    ]

    seen = cli.head()
    host = cli.json(
        "host", "create", "--slug", "xhs", "--name-zh", "小红书", "--name-en", "Xiaohongshu",
        "--redirect-uri", REDIRECT,
    )  # fmt: skip
    client_id = host["client_id"]
    rotated_host = cli.json("host", "rotate-secret", client_id)
    hook = cli.json("webhooks", "set-url", "https://xhs.example/hooks", "--host", client_id)
    brand_hook = cli.json("webhooks", "rotate-secret", "--brand", "gucci")
    secrets += [
        host["client_secret"],
        rotated_host["client_secret"],
        hook["webhook_secret"],
        brand_hook["webhook_secret"],
    ]
    assert cli.new_entries(seen) == [
        _op("host.created", f"host:{client_id}"),
        _op("host.secret_rotated", f"host:{client_id}"),
        _op("host.webhook_url_changed", f"host:{client_id}"),
        _op("brand.webhook_secret_rotated", f"brand:{brand['id']}"),
    ]

    seen = cli.head()
    keys = cli.json("keys", "rotate")
    cli.json("operator", "create", "--username", "olga", "--password", "operator-pass")
    cli.json("user", "create", "--username", "lin", "--password", "lin-password")  # no role
    assert cli.new_entries(seen) == [
        _op("keys.rotated", "signing_keys:jwks"),
        _op("staff.granted", "user:olga"),
    ]

    by_action = {e.action: e for e in cli.entries()}
    assert by_action["keys.rotated"].after["active"] == sorted(keys["active"])
    assert by_action["staff.granted"].after == {"role": "operator"}
    assert by_action["mini_program.secret_rotated"].before == {"secret": fingerprint(mp["secret"])}
    assert by_action["mini_program.secret_rotated"].after == {
        "secret": fingerprint(rotated_mp["secret"])
    }
    assert by_action["host.webhook_url_changed"].after == {
        "webhook_url": "https://xhs.example/hooks",
        "webhook_secret": fingerprint(hook["webhook_secret"]),
    }
    exported = cli("audit", "export", "--format", "json")
    assert exported.exit_code == 0
    for secret in secrets:
        assert secret not in exported.stdout
    verified = cli.json("audit", "verify")
    assert verified["ok"] and verified["checked"] == cli.head()


def test_the_cli_actor_can_be_filtered_on(cli: PlatformCli) -> None:
    cli.json("brand", "create", "--slug", "gucci", "--name-zh", "古驰", "--name-en", "Gucci")
    cli.json("brand", "create", "--slug", "fendi", "--name-zh", "芬迪", "--name-en", "Fendi",
             "--actor", "ops:bob")  # fmt: skip
    exported = cli("audit", "export", "--format", "json", "--actor", "cli:alice")
    assert [e["target_id"] for e in json.loads(exported.stdout)] == ["1"]
    everything = cli("audit", "export", "--format", "json")
    assert [e["actor_id"] for e in json.loads(everything.stdout)] == ["cli:alice", "ops:bob"]


@pytest.mark.parametrize("actor", ["", "   ", "x" * 65, "bad\tname"])
def test_an_unusable_actor_is_refused_and_nothing_changes(cli: PlatformCli, actor: str) -> None:
    result = cli("brand", "create", "--slug", "gucci", "--name-zh", "古驰", "--name-en", "Gucci",
                 "--actor", actor, "--json")  # fmt: skip
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"error": "--actor must be 1-64 printable characters"}
    assert cli.json("brand", "list")["brands"] == [] and cli.entries() == []


def test_a_cli_resend_is_audited_like_the_consoles(
    cli: PlatformCli, runtime: PlatformRuntime
) -> None:
    world = build_world(runtime)
    with make_sessionmaker(cli.engine)() as session, session.begin():
        session.add(WebhookEvent(id="evt_cli_test", type="port.closed", payload={}))
        session.flush()
        delivery = WebhookDelivery(
            event_id="evt_cli_test", partner_kind="host", partner_id=world.client_id,
            url="http://127.0.0.1:9/hook", state="failed", attempts=9,
        )  # fmt: skip
        session.add(delivery)
        session.flush()
        delivery_id = delivery.id
    seen = cli.head()
    cli.json("webhooks", "resend", "evt_cli_test")
    assert cli.new_entries(seen) == [_op("webhook.resent", f"webhook_delivery:{delivery_id}")]
    assert cli.entries()[-1].after == {
        "event_id": "evt_cli_test",
        "partner": f"host:{world.client_id}",
    }
