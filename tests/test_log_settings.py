"""The log settings of a served platform: JSON lines by default off a terminal, text lines
when asked, no access log when turned off (request ids stay), errors on standard error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from miniport.common.migrate import upgrade
from miniport.platform.settings import PlatformSettings
from tests.support.served import Served, served
from tests.support.servers import free_port


def serve_platform(data_dir: Path, **settings: str) -> tuple[Served, list[str]]:
    """Serve, make three requests, stop; the server and the request ids it answered with."""
    port = free_port()
    upgrade("platform", PlatformSettings(data_dir=data_dir).database_url)
    env = {
        "MINIPORT_PLATFORM_DATA_DIR": str(data_dir),
        "MINIPORT_PLATFORM_BASE_URL": f"http://127.0.0.1:{port}",
        **{f"MINIPORT_PLATFORM_{name.upper()}": value for name, value in settings.items()},
    }
    with served("platform", port=port, env=env, logs=data_dir / "logs") as server:
        ids = [
            httpx.get(server.url + "/jwks.json").headers["x-request-id"],
            httpx.get(
                server.url + "/userinfo", params={"access_token": "not-a-token-0123456789"}
            ).headers["x-request-id"],
            httpx.get(server.url + "/no/such/page").headers["x-request-id"],
        ]
    return server, ids


def test_json_lines_by_default_off_a_terminal(tmp_path: Path) -> None:
    server, ids = serve_platform(tmp_path)
    access = [json.loads(line) for line in server.stdout.read_text().splitlines()]
    assert [entry["request_id"] for entry in access[-3:]] == ids
    assert [(entry["path"], entry["status"]) for entry in access[-3:]] == [
        ("/jwks.json", 200),
        ("/userinfo", 401),
        ("/no/such/page", 404),
    ]
    assert access[-2]["query"] == "access_token=***"
    errors = [json.loads(line) for line in server.stderr.read_text().splitlines()]
    assert {entry["logger"] for entry in errors} >= {"uvicorn.error"}
    assert all(entry["service"] == "platform" for entry in access + errors)


def test_text_lines_when_asked(tmp_path: Path) -> None:
    server, ids = serve_platform(tmp_path, log_format="text")
    lines = server.stdout.read_text().splitlines()[-3:]
    pattern = r'^\S+Z 127\.0\.0\.1 "GET (\S+) HTTP/1\.1" (\d{3}) \d+ \d+us (\S+)$'
    parsed = [re.match(pattern, line) for line in lines]
    assert all(parsed), lines
    assert [(m[1], m[2], m[3]) for m in parsed if m] == [
        ("/jwks.json", "200", ids[0]),
        ("/userinfo?access_token=***", "401", ids[1]),
        ("/no/such/page", "404", ids[2]),
    ]
    assert "Application startup complete" in server.stderr.read_text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(server.stderr.read_text().splitlines()[0])


def test_no_access_log_when_turned_off(tmp_path: Path) -> None:
    server, ids = serve_platform(tmp_path, access_log="false")
    assert server.stdout.read_text() == ""
    assert all(ids) and len(set(ids)) == 3
    assert "not-a-token" not in server.output()
