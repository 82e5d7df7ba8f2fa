"""The same change made in the host console and with the command line writes the same audit
entry (action, target, before/after), differing only in who made it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from miniport.platform.audit.models import AuditEntry
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from tests.factories import World
from tests.platform.console.helpers import csrf_of, post_form
from tests.support.platform_cli import PlatformCli


@pytest.fixture
def cli(platform_settings: PlatformSettings) -> Iterator[PlatformCli]:
    runner = PlatformCli(platform_settings)
    yield runner
    runner.close()


def _last(runtime: PlatformRuntime) -> AuditEntry:
    with runtime.sessions() as session:
        entry = session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    assert entry is not None
    return entry


def _shape(entry: AuditEntry) -> tuple[Any, ...]:
    """What the change was, without who made it or when (secrets' fingerprints differ)."""

    def keys(value: Any) -> Any:
        return sorted(value) if isinstance(value, dict) else value

    return (entry.action, entry.target_kind, entry.target_id, keys(entry.before), keys(entry.after))


def test_the_cli_and_the_host_console_write_the_same_entries(
    runtime: PlatformRuntime, world: World, cli: PlatformCli, host_client: httpx.Client
) -> None:
    home = f"/console/host/{world.client_id}"
    # The first URL also brings a signing secret; compare changes of an existing URL.
    cli.json("webhooks", "set-url", "https://first.example/h", "--host", world.client_id)

    def rotate_in_console() -> httpx.Response:
        return host_client.post(f"{home}/rotate", data={"csrf_token": csrf_of(host_client, home)})

    def set_url_in_console() -> httpx.Response:
        return post_form(host_client, home, "webhook_url", {"webhook_url": "https://a.example/h"})

    changes: list[tuple[Callable[[], httpx.Response], tuple[str, ...]]] = [
        (rotate_in_console, ("host", "rotate-secret", world.client_id)),
        (
            set_url_in_console,
            ("webhooks", "set-url", "https://b.example/h", "--host", world.client_id),
        ),
    ]
    for in_console, on_command_line in changes:
        assert in_console().status_code in (200, 303)
        by_console = _last(runtime)
        cli.json(*on_command_line)
        by_cli = _last(runtime)
        assert by_cli.seq == by_console.seq + 1
        assert _shape(by_console) == _shape(by_cli)
        assert (by_console.actor_kind, by_console.actor_user) == ("host", "hank")
        assert (by_cli.actor_kind, by_cli.actor_id) == ("operator", "cli:alice")

    url_changed = _last(runtime)
    assert url_changed.before == {"webhook_url": "https://a.example/h"}
    assert url_changed.after == {"webhook_url": "https://b.example/h"}
    assert cli.json("audit", "verify")["ok"]
