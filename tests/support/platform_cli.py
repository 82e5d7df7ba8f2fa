"""``miniport`` run in-process against a test platform's own database, as a given OS user."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner, Result

from miniport.cli.main import app
from miniport.common.db import make_engine, make_sessionmaker
from miniport.platform.audit.models import AuditEntry
from miniport.platform.settings import PlatformSettings


class PlatformCli:
    """The command line an operator would use on the server whose settings are given."""

    def __init__(self, settings: PlatformSettings, os_user: str = "alice") -> None:
        self.env = {
            "MINIPORT_PLATFORM_ENVIRONMENT": "test",
            "MINIPORT_PLATFORM_DATA_DIR": str(settings.data_dir),
            "MINIPORT_PLATFORM_DATABASE_URL": settings.database_url,
            "MINIPORT_PLATFORM_ARGON2_TIME_COST": "1",
            "MINIPORT_PLATFORM_ARGON2_MEMORY_COST": "1024",
            "MINIPORT_PLATFORM_ARGON2_PARALLELISM": "1",
            # What getpass.getuser() reads first: the default actor is cli:<this>.
            "LOGNAME": os_user,
            "USER": os_user,
        }
        # The at-rest keys, when the test configures them rather than letting one generate.
        if settings.data_key is not None:
            self.env["MINIPORT_PLATFORM_DATA_KEY"] = settings.data_key.get_secret_value()
        if settings.data_key_previous:
            self.env["MINIPORT_PLATFORM_DATA_KEY_PREVIOUS"] = ",".join(
                key.get_secret_value() for key in settings.data_key_previous
            )
        self.engine = make_engine(settings.database_url)

    def close(self) -> None:
        self.engine.dispose()

    def __call__(self, *args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env)

    def json(self, *args: str) -> dict[str, Any]:
        """Run with --json; the command must succeed and print one JSON object."""
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        payload: dict[str, Any] = json.loads(result.stdout)
        return payload

    def json_error(self, *args: str) -> str:
        """Run with --json; the command must fail with exit code 1 and an error object."""
        result = self(*args, "--json")
        assert result.exit_code == 1, result.output
        payload = json.loads(result.stdout)
        assert set(payload) == {"error"}, payload
        message: str = payload["error"]
        return message

    def entries(self) -> list[AuditEntry]:
        with make_sessionmaker(self.engine)() as session:
            return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))

    def new_entries(self, since: int) -> list[tuple[str, str, str, str, str | None]]:
        """(action, target, actor kind, actor id, actor user) of the entries after ``since``."""
        return [
            (e.action, f"{e.target_kind}:{e.target_id}", e.actor_kind, e.actor_id, e.actor_user)
            for e in self.entries()
            if e.seq > since
        ]

    def head(self) -> int:
        entries = self.entries()
        return entries[-1].seq if entries else 0
