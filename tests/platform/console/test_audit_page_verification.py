"""The audit page verifies only what was added since its last visit, says so, and offers a
full re-verification, which is what catches an edit to an entry verified on an earlier visit."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import text
from typer.testing import CliRunner

from miniport.cli.main import app
from miniport.common.clock import utcnow
from miniport.platform.audit.chain import append
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from tests.factories import World
from tests.platform.console.helpers import csrf_of

AUDIT = "/console/ops/audit"


def _status(client: httpx.Client) -> tuple[str, int, int]:
    """("ok", verified up to, entries read on this visit) or ("broken", entry, 0)."""
    html = client.get(AUDIT, params={"lang": "en"}).text
    ok = re.search(r'data-testid="verify-ok" data-verified-seq="(\d+)" data-checked="(\d+)"', html)
    if ok:
        return "ok", int(ok.group(1)), int(ok.group(2))
    broken = re.search(
        r'data-testid="verify-broken">The hash chain is broken at entry #(\d+)', html
    )
    assert broken, html
    return "broken", int(broken.group(1)), 0


def _append(runtime: PlatformRuntime, count: int) -> None:
    with runtime.sessions() as session, session.begin():
        for n in range(count):
            append(
                session, actor_kind="operator", actor_id="olga", action="test.step",
                target_kind="port", target_id=str(n), at=utcnow(),
            )  # fmt: skip


def _edit(runtime: PlatformRuntime, seq: int) -> None:
    with runtime.engine.begin() as connection:
        connection.execute(
            text("UPDATE audit_entries SET reason_text = 'rewritten' WHERE seq = :seq"),
            {"seq": seq},
        )


def _head(runtime: PlatformRuntime) -> int:
    with runtime.engine.connect() as connection:
        return int(connection.execute(text("SELECT max(seq) FROM audit_entries")).scalar_one())


def test_each_visit_reads_only_the_entries_added_since_the_last(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    head = _head(runtime)
    assert _status(operator) == ("ok", head, head)  # the first visit walks the whole chain
    _append(runtime, 3)
    assert _status(operator) == ("ok", head + 3, 3)
    assert _status(operator) == ("ok", head + 3, 0)

    page = operator.get(AUDIT, params={"lang": "en"}).text
    assert f"Hash chain verified up to entry #{head + 3}." in page
    assert "An edit to an entry that was already checked is found only by a full" in page
    assert 'data-testid="verify-all"' in page


def test_an_edited_new_entry_is_caught_by_the_page(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    head = _head(runtime)
    _status(operator)
    _append(runtime, 2)
    _edit(runtime, head + 1)
    assert _status(operator) == ("broken", head + 1, 0)
    assert _status(operator) == ("broken", head + 1, 0)


def test_an_edited_old_entry_is_caught_by_the_full_verification(
    runtime: PlatformRuntime,
    platform_settings: PlatformSettings,
    world: World,
    operator: httpx.Client,
) -> None:
    head = _head(runtime)
    _status(operator)
    _edit(runtime, 2)  # verified on the visit above: later visits do not read it again
    assert _status(operator) == ("ok", head, 0)

    full = operator.post(f"{AUDIT}/verify", data={"csrf_token": csrf_of(operator, AUDIT)})
    assert full.status_code == 303 and full.headers["location"] == AUDIT
    assert _status(operator) == ("broken", 2, 0)
    assert _status(operator) == ("broken", 2, 0)  # and it stays shown

    env = {
        "MINIPORT_PLATFORM_ENVIRONMENT": "test",
        "MINIPORT_PLATFORM_DATA_DIR": str(platform_settings.data_dir),
        "MINIPORT_PLATFORM_DATABASE_URL": platform_settings.database_url,
    }
    cli = CliRunner().invoke(app, ["audit", "verify"], env=env)
    assert cli.exit_code == 1 and "BROKEN at #2 (edited)" in cli.stdout


def test_a_full_verification_that_passes_is_reported(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    _status(operator)
    full = operator.post(f"{AUDIT}/verify", data={"csrf_token": csrf_of(operator, AUDIT)})
    assert full.headers["location"] == f"{AUDIT}?done=verified"
    page = operator.get(AUDIT, params={"done": "verified", "lang": "en"}).text
    assert "The whole chain was verified again from the first entry." in page


def test_the_full_verification_is_for_operators_with_a_csrf_token(
    world: World, operator: httpx.Client, brand_client: httpx.Client
) -> None:
    assert operator.post(f"{AUDIT}/verify", data={}).status_code == 403
    brand_csrf = csrf_of(brand_client, f"/console/brand/{world.brand_id}")
    refused = brand_client.post(f"{AUDIT}/verify", data={"csrf_token": brand_csrf})
    assert refused.status_code == 403
    assert brand_client.get(AUDIT).status_code == 403


def test_a_break_found_on_the_command_line_shows_on_the_page(
    runtime: PlatformRuntime,
    platform_settings: PlatformSettings,
    world: World,
    operator: httpx.Client,
) -> None:
    env = {
        "MINIPORT_PLATFORM_ENVIRONMENT": "test",
        "MINIPORT_PLATFORM_DATA_DIR": str(platform_settings.data_dir),
        "MINIPORT_PLATFORM_DATABASE_URL": platform_settings.database_url,
    }
    head = _head(runtime)
    _status(operator)
    _edit(runtime, 2)  # already verified by the page: its visits do not read it again
    assert _status(operator) == ("ok", head, 0)

    cli = CliRunner().invoke(app, ["audit", "verify"], env=env)
    assert cli.exit_code == 1 and "BROKEN at #2 (edited)" in cli.stdout
    assert _status(operator) == ("broken", 2, 0)  # the command dropped the page's checkpoint


def test_a_pass_on_the_command_line_spares_the_page_the_walk(
    runtime: PlatformRuntime,
    platform_settings: PlatformSettings,
    world: World,
    operator: httpx.Client,
) -> None:
    env = {
        "MINIPORT_PLATFORM_ENVIRONMENT": "test",
        "MINIPORT_PLATFORM_DATA_DIR": str(platform_settings.data_dir),
        "MINIPORT_PLATFORM_DATABASE_URL": platform_settings.database_url,
    }
    head = _head(runtime)
    assert CliRunner().invoke(app, ["audit", "verify"], env=env).exit_code == 0
    assert _status(operator) == ("ok", head, 0)  # the first visit reads nothing new
