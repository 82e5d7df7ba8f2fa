"""``miniport serve host`` checks what would make every worker fail before starting any."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from miniport.cli import app


def run(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    environment = {"MINIPORT_HOST_DATA_DIR": str(tmp_path), "MINIPORT_HOST_SLUG": "jd", **env}
    result = CliRunner().invoke(app, ["serve", "host", *args], env=environment)
    return result.exit_code, result.output


def test_an_unmigrated_database_is_refused_with_the_way_out(tmp_path: Path) -> None:
    code, output = run(tmp_path)

    assert code == 1
    assert "--migrate" in output


def test_missing_platform_credentials_are_named(tmp_path: Path) -> None:
    code, output = run(tmp_path, "--migrate")

    assert code == 1
    assert "MINIPORT_HOST_CLIENT_ID" in output
    assert (tmp_path / "host-jd.db").exists()
