"""Running ``miniport`` in-process against the test's platform database."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner, Result

from miniport.cli import app
from miniport.platform.settings import PlatformSettings


def cli_env(settings: PlatformSettings) -> dict[str, str]:
    """The environment an operator would export to work on ``settings``' database."""
    return {
        "MINIPORT_PLATFORM_ENVIRONMENT": "test",
        "MINIPORT_PLATFORM_DATA_DIR": str(settings.data_dir),
        "MINIPORT_PLATFORM_DATABASE_URL": settings.database_url,
        "MINIPORT_PLATFORM_ARGON2_TIME_COST": "1",
        "MINIPORT_PLATFORM_ARGON2_MEMORY_COST": "1024",
        "MINIPORT_PLATFORM_ARGON2_PARALLELISM": "1",
    }


class Cli:
    def __init__(self, settings: PlatformSettings) -> None:
        self.env = cli_env(settings)
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Result:
        return self.runner.invoke(app, list(args), env=self.env)

    def json(self, *args: str, exit_code: int = 0) -> dict[str, Any]:
        """Run with --json; exactly one JSON object must come out."""
        result = self(*args, "--json")
        assert result.exit_code == exit_code, result.output
        (line,) = result.stdout.splitlines()
        payload = json.loads(line)
        assert isinstance(payload, dict)
        return payload
