"""``miniport audit verify`` and ``miniport audit export`` on the server's own database."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import text
from typer.testing import CliRunner

from miniport.cli.main import app
from miniport.common.clock import utcnow
from miniport.platform.audit.chain import append
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings


def _env(settings: PlatformSettings) -> dict[str, str]:
    return {
        "MINIPORT_PLATFORM_ENVIRONMENT": "test",
        "MINIPORT_PLATFORM_DATA_DIR": str(settings.data_dir),
        "MINIPORT_PLATFORM_DATABASE_URL": settings.database_url,
    }


def _seed(runtime: PlatformRuntime) -> None:
    with runtime.sessions() as session, session.begin():
        for n, reason in enumerate(["=cmd()", "关闭: 安全", "plain"]):
            append(
                session, actor_kind="operator", actor_id="olga", action="port.closed",
                target_kind="port", target_id=str(n + 1), after={"state": "closed"},
                reason_category="security", reason_text=reason, at=utcnow(),
            )  # fmt: skip


def test_verify_prints_ok_then_names_the_broken_entry(
    runtime: PlatformRuntime, platform_settings: PlatformSettings
) -> None:
    _seed(runtime)
    runner = CliRunner()
    env = _env(platform_settings)
    ok = runner.invoke(app, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("OK: 3 entries")

    with runtime.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entries SET actor_id = 'nobody' WHERE seq = 2"))
    broken = runner.invoke(app, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert "BROKEN at #2 (edited)" in broken.stdout
    as_json = runner.invoke(app, ["audit", "verify", "--json"], env=env)
    payload = json.loads(as_json.stdout)
    assert (payload["ok"], payload["broken_seq"], payload["problem"]) == (False, 2, "edited")


def test_export_csv_and_json(runtime: PlatformRuntime, platform_settings: PlatformSettings) -> None:
    _seed(runtime)
    runner = CliRunner()
    env = _env(platform_settings)
    as_csv = runner.invoke(app, ["audit", "export", "--format", "csv"], env=env)
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [row["seq"] for row in rows] == ["1", "2", "3"]
    # A spreadsheet must not run a reason text as a formula.
    assert rows[0]["reason_text"] == "'=cmd()"
    assert rows[1]["reason_text"] == "关闭: 安全"
    as_json = runner.invoke(
        app, ["audit", "export", "--format", "json", "--target", "port:2"], env=env
    )
    assert as_json.exit_code == 0, as_json.output
    entries = json.loads(as_json.stdout)
    assert [entry["seq"] for entry in entries] == [2]
    assert entries[0]["after"] == {"state": "closed"} and len(entries[0]["hash"]) == 64
