"""The ``miniport`` command line, driven as an operator's script would drive it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main
from sqlalchemy import select
from typer.testing import CliRunner, Result

from miniport.cli import app
from miniport.common.db import make_engine, make_sessionmaker, read_only_engine
from miniport.common.migrate import current_revision
from miniport.common.tokens import digest
from miniport.platform.atrest import DataCipher
from miniport.platform.keys.keyring import Keyring
from miniport.platform.keys.models import SigningKey
from miniport.platform.registry.lookup import authenticate_host_app, authenticate_mini_program
from miniport.platform.settings import PlatformSettings
from miniport.platform.web import asgi
from tests.support.servers import free_port, wait_until_up

REDIRECT = "http://127.0.0.1:8001/auth/callback"


class Cli:
    """Runs ``miniport`` in-process with the environment an operator would export."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.database_url = f"sqlite:///{data_dir / 'platform.db'}"
        self.env = {
            "MINIPORT_PLATFORM_ENVIRONMENT": "test",
            "MINIPORT_PLATFORM_DATA_DIR": str(data_dir),
            "MINIPORT_PLATFORM_DATABASE_URL": self.database_url,
            "MINIPORT_PLATFORM_ARGON2_TIME_COST": "1",
            "MINIPORT_PLATFORM_ARGON2_MEMORY_COST": "1024",
            "MINIPORT_PLATFORM_ARGON2_PARALLELISM": "1",
        }
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self.runner.invoke(app, list(args), env=self.env, input=input)

    def json(self, *args: str) -> dict[str, Any]:
        """Run with --json; the command must succeed and print exactly one JSON object."""
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert len(lines) == 1, result.stdout
        payload = json.loads(lines[0])
        assert isinstance(payload, dict)
        return payload

    def json_error(self, *args: str, exit_code: int = 1) -> str:
        result = self(*args, "--json")
        assert result.exit_code == exit_code, result.output
        lines = result.stdout.splitlines()
        assert len(lines) == 1, result.stdout
        payload = json.loads(lines[0])
        assert set(payload) == {"error"}
        message: str = payload["error"]
        return message

    def data_cipher(self) -> DataCipher:
        """The at-rest cipher the commands use: the key generated into the data directory."""
        return PlatformSettings(data_dir=self.data_dir, environment="test").data_cipher()

    def stored_bytes(self) -> bytes:
        """Every byte the database keeps on disk (main file and write-ahead log)."""
        return b"".join(path.read_bytes() for path in self.data_dir.glob("platform.db*"))


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "platform")


@pytest.fixture
def migrated(cli: Cli) -> Cli:
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    return cli


@pytest.fixture
def gucci(migrated: Cli) -> dict[str, Any]:
    return migrated.json(
        "brand", "create", "--slug", "gucci", "--name-zh", "古驰", "--name-en", "Gucci"
    )


def _create_mini_program(cli: Cli, *extra: str) -> dict[str, Any]:
    return cli.json(
        "mp", "create", "--brand", "gucci",
        "--name-zh", "GUCCI古驰线上旗舰店", "--name-en", "GUCCI Online Flagship Store",
        "--entry-url", "http://127.0.0.1:8101/mp/entry",
        "--path", "/pages/index", "--path", "/pages/product", "--path", "/pages/cart",
        *extra,
    )  # fmt: skip


def _create_host(cli: Cli, *extra: str) -> dict[str, Any]:
    return cli.json(
        "host", "create", "--slug", "xiaohongshu", "--name-zh", "小红书",
        "--name-en", "Xiaohongshu", "--redirect-uri", REDIRECT, *extra,
    )  # fmt: skip


# --- help and schema ---------------------------------------------------------------------------


def test_every_command_explains_itself() -> None:
    root = typer.main.get_command(app)
    runner = CliRunner()
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for name in ("serve", "db", "user", "operator", "staff", "brand", "mp", "host", "keys", "demo"):
        assert name in top.stdout

    def leaves(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        children = getattr(command, "commands", None)
        if not children:
            yield path, command
            return
        for name, child in children.items():
            yield from leaves(child, (*path, name))

    found = dict(leaves(root, ()))
    for path in [
        ("serve", "platform"),
        ("db", "upgrade"),
        ("user", "create"),
        ("operator", "create"),
        ("brand", "show"),
        ("mp", "rotate-secret"),
        ("host", "rotate-secret"),
        ("keys", "rotate"),
        ("keys", "list"),
        ("staff", "grant"),
        ("staff", "revoke"),
        ("staff", "list"),
        ("demo",),
    ]:
        assert path in found, path
    for path, command in found.items():
        assert (command.help or "").strip(), f"miniport {' '.join(path)} has no help text"
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)


def test_commands_refuse_an_out_of_date_schema_and_say_what_to_run(cli: Cli) -> None:
    assert "run: miniport db upgrade platform" in cli.json_error("brand", "list")

    human = cli("host", "list")
    assert human.exit_code == 1
    assert "miniport db upgrade platform" in human.stderr
    assert "Traceback" not in human.output


def test_serve_refuses_an_out_of_date_schema_without_a_traceback(cli: Cli) -> None:
    result = cli("serve", "platform", "--port", str(free_port()))

    assert result.exit_code == 1
    assert "miniport db upgrade platform" in result.stderr
    assert "Traceback" not in result.output


def test_db_upgrade_creates_the_schema_and_is_idempotent(cli: Cli) -> None:
    first = cli("db", "upgrade", "platform")
    again = cli("db", "upgrade")

    assert first.exit_code == 0 and "upgraded from empty" in first.stdout
    assert again.exit_code == 0 and "already at" in again.stdout
    assert cli.json("brand", "list") == {"brands": []}


@pytest.mark.parametrize(
    ("service", "prefix"), [("host", "MINIPORT_HOST_"), ("shop", "MINIPORT_SHOP_")]
)
def test_db_upgrade_migrates_the_partner_services_from_their_own_settings(
    cli: Cli, tmp_path: Path, service: str, prefix: str
) -> None:
    database = tmp_path / f"{service}.db"
    cli.env[f"{prefix}DATABASE_URL"] = f"sqlite:///{database}"
    first = cli("db", "upgrade", service)
    again = cli("db", "upgrade", service)
    assert first.exit_code == 0 and "upgraded from empty" in first.stdout, first.output
    assert again.exit_code == 0 and "already at" in again.stdout
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert current_revision(engine) is not None
    finally:
        engine.dispose()


def test_a_bad_setting_is_reported_by_its_environment_variable(cli: Cli) -> None:
    cli.env["MINIPORT_PLATFORM_BASE_URL"] = "ftp://platform.example"

    message = cli.json_error("brand", "list")

    assert "MINIPORT_PLATFORM_BASE_URL" in message
    assert "http://" in message


# --- the registry ------------------------------------------------------------------------------


def test_brand_create_list_and_show(migrated: Cli, gucci: dict[str, Any]) -> None:
    assert gucci["slug"] == "gucci" and isinstance(gucci["id"], int)

    listed = migrated.json("brand", "list")
    shown = migrated.json("brand", "show", "gucci")

    assert [brand["id"] for brand in listed["brands"]] == [gucci["id"]]
    assert shown["name_zh"] == "古驰" and shown["mini_programs"] == []


def test_mp_create_prints_appid_and_secret_once_and_stores_only_a_digest(
    migrated: Cli, gucci: dict[str, Any]
) -> None:
    created = _create_mini_program(migrated)
    appid, secret = created["appid"], created["secret"]

    assert appid.startswith("wx") and len(appid) == 18
    assert created["brand_id"] == gucci["id"]
    assert created["allowed_paths"] == ["/pages/index", "/pages/product", "/pages/cart"]
    shown = migrated.json("mp", "show", appid)
    listed = migrated.json("mp", "list", "--brand", "gucci")
    assert "secret" not in shown
    assert [item["appid"] for item in listed["mini_programs"]] == [appid]
    assert "secret" not in listed["mini_programs"][0]
    stored = migrated.stored_bytes()
    assert secret.encode() not in stored
    assert digest(secret).encode() in stored


def test_host_create_prints_client_id_and_secret_once_and_stores_only_a_digest(
    migrated: Cli,
) -> None:
    created = _create_host(migrated, "--id-token-alg", "ES256")
    client_id, secret = created["client_id"], created["client_secret"]

    assert client_id.startswith("hc")
    assert created["redirect_uris"] == [REDIRECT]
    assert created["id_token_alg"] == "ES256"
    assert migrated.json("host", "show", "xiaohongshu")["client_id"] == client_id
    assert "client_secret" not in migrated.json("host", "show", client_id)
    assert [host["client_id"] for host in migrated.json("host", "list")["host_apps"]] == [client_id]
    stored = migrated.stored_bytes()
    assert secret.encode() not in stored
    assert digest(secret).encode() in stored


def test_human_output_warns_that_a_secret_is_shown_only_once(
    migrated: Cli, gucci: dict[str, Any]
) -> None:
    result = migrated(
        "mp", "create", "--brand", "gucci", "--name-zh", "古驰美妆", "--name-en", "Gucci Beauty",
        "--entry-url", "https://beauty.example/entry", "--path", "/pages/index",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "will not be shown again" in result.stdout
    assert "wx" in result.stdout


def test_rotate_secret_replaces_the_old_secret_at_once(
    migrated: Cli, gucci: dict[str, Any]
) -> None:
    mini_program = _create_mini_program(migrated)
    host = _create_host(migrated)

    new_app = migrated.json("mp", "rotate-secret", mini_program["appid"])
    new_host = migrated.json("host", "rotate-secret", host["client_id"])

    engine = make_engine(migrated.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            appid, client_id = mini_program["appid"], host["client_id"]
            assert authenticate_mini_program(session, appid, mini_program["secret"]) is None
            assert authenticate_mini_program(session, appid, new_app["secret"]) is not None
            assert authenticate_host_app(session, client_id, host["client_secret"]) is None
            assert authenticate_host_app(session, client_id, new_host["client_secret"]) is not None
    finally:
        engine.dispose()
    assert new_app["secret"].encode() not in migrated.stored_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("host", "create", "--slug", "xhs", "--name-zh", "小红书", "--name-en", "X",
             "--redirect-uri", "http://xhs.example/cb"),
            "must use https://",
        ),
        (
            ("mp", "create", "--brand", "gucci", "--name-zh", "x", "--name-en", "x",
             "--entry-url", "https://a.example/", "--path", "/pages/../admin"),
            "must not contain '..'",
        ),
        (
            ("mp", "create", "--brand", "dior", "--name-zh", "x", "--name-en", "x",
             "--entry-url", "https://a.example/", "--path", "/p"),
            "no brand 'dior'",
        ),
        (("brand", "create", "--slug", "gucci", "--name-zh", "古驰", "--name-en", "Gucci"),
         "already exists"),
        (("brand", "create", "--slug", "Not A Slug", "--name-zh", "x", "--name-en", "x"), "slug"),
        (("mp", "show", "wx0000000000000000"), "no mini program"),
        (("host", "rotate-secret", "nobody"), "no host app 'nobody'"),
        (("user", "create", "--username", "x", "--password", "long-enough"), "username"),
        (("user", "create", "--username", "lin", "--password", "short"), "8-256 characters"),
        (("user", "show", "nobody"), "no user 'nobody'"),
    ],
)  # fmt: skip
def test_bad_input_fails_with_a_clear_message(
    migrated: Cli, gucci: dict[str, Any], args: tuple[str, ...], message: str
) -> None:
    assert message in migrated.json_error(*args)

    human = migrated(*args)
    assert human.exit_code == 1
    assert message in human.stderr
    assert human.stdout == ""


def test_usage_errors_are_json_too_when_json_was_asked_for(migrated: Cli) -> None:
    missing = migrated.json_error("brand", "create", "--slug", "gucci", exit_code=2)
    unknown = migrated.json_error("brand", "list", "--colour", exit_code=2)

    assert "--name-zh" in missing
    assert "--colour" in unknown


# --- people ------------------------------------------------------------------------------------


def test_users_and_operators(migrated: Cli) -> None:
    user = migrated.json("user", "create", "--username", "Lin", "--password", "lin-password")
    operator = migrated.json(
        "operator", "create", "--username", "ops", "--display-name", "运营",
        "--password", "operator-password",
    )  # fmt: skip
    prompted = migrated("user", "create", "--username", "mei", input="mei-password\n" * 2)

    assert prompted.exit_code == 0, prompted.output
    assert "mei-password" not in prompted.stdout
    assert (user["username"], user["roles"]) == ("lin", [])
    assert (operator["display_name"], operator["roles"]) == ("运营", ["operator"])
    listed = migrated.json("user", "list")["users"]
    assert [(u["username"], u["roles"]) for u in listed] == [
        ("lin", []),
        ("ops", ["operator"]),
        ("mei", []),
    ]
    assert migrated.json("user", "show", "LIN")["id"] == user["id"]
    assert b"operator-password" not in migrated.stored_bytes()


# --- signing keys ------------------------------------------------------------------------------


def _jwks_kids(keyring: Keyring) -> set[str]:
    keyring.reload()
    return {key["kid"] for key in json.loads(keyring.current().jwks_bytes)["keys"]}


def test_keys_rotate_keeps_the_old_key_in_jwks_then_retires_it(migrated: Cli) -> None:
    engine = make_engine(migrated.database_url)
    try:
        # What a server does on first start.
        keyring = Keyring(
            make_sessionmaker(engine),
            make_sessionmaker(read_only_engine(engine)),
            cipher=migrated.data_cipher(),
        )
        original = _jwks_kids(keyring)
        assert len(original) == 2  # one RS256, one ES256

        first = migrated.json("keys", "rotate")
        after_first = _jwks_kids(keyring)
        second = migrated.json("keys", "rotate")
        after_second = _jwks_kids(keyring)

        assert set(first["previous"]) == original
        assert after_first == original | set(first["active"])
        assert set(second["retired"]) == original
        assert set(second["previous"]) == set(first["active"])
        assert after_second == set(first["active"]) | set(second["active"])
        assert set(keyring.current().signing) == {"RS256", "ES256"}
        assert {kid for kid, _ in keyring.current().signing.values()} == set(second["active"])
        with make_sessionmaker(engine)() as session:
            rows = session.execute(select(SigningKey.kid, SigningKey.state)).all()
        states = {row.kid: row.state for row in rows}
        assert {states[kid] for kid in original} == {"retired"}
    finally:
        engine.dispose()

    listed = migrated.json("keys", "list")["keys"]
    everything = migrated.json("keys", "list", "--all")["keys"]
    assert {key["kid"] for key in listed} == after_second
    assert len(everything) == 6
    assert all("private_jwk" not in key and "d" not in key for key in everything)


# --- serving -----------------------------------------------------------------------------------


def test_the_asgi_factory_reports_an_out_of_date_schema_in_one_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in cli.env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(SystemExit) as exited:
        asgi.create_app_from_env()

    assert exited.value.code == 1
    assert "miniport db upgrade platform" in capsys.readouterr().err


def test_serve_platform_answers_on_its_port_and_stops_on_ctrl_c(migrated: Cli) -> None:
    port = free_port()
    env = {**os.environ, **migrated.env, "MINIPORT_PLATFORM_BASE_URL": f"http://127.0.0.1:{port}"}
    miniport = Path(sys.executable).with_name("miniport")
    process = subprocess.Popen(
        [str(miniport), "serve", "platform", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/docs")
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "Traceback" not in output


# --- configuration -----------------------------------------------------------------------------


def test_every_platform_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    internal = {"service_name"}  # fixed per service, not something to configure

    missing = [
        f"MINIPORT_PLATFORM_{name.upper()}"
        for name in PlatformSettings.model_fields
        if name not in internal and f"`MINIPORT_PLATFORM_{name.upper()}`" not in readme
    ]

    assert not missing, f"README's configuration table lacks {missing}"
