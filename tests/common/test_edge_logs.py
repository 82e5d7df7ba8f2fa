"""What the logs may say: credentials redacted from query strings and from error texts, SQL
parameters kept out of exceptions, JSON or text as asked, and nothing lost at shutdown."""

from __future__ import annotations

import io
import json
import logging
import os
import select
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from miniport.common.db import make_engine
from miniport.common.edge import access_log, request_ids
from miniport.common.edge.access_log import AccessLog, LineBuffer
from miniport.common.edge.logs import LogFormatter, wants_json
from miniport.common.edge.redaction import redact_query, redact_text

SECRET = "S3cr3t-value-0123456789abcdef"


@pytest.mark.parametrize(
    "name",
    [
        "secret",
        "js_code",
        "code",
        "access_token",
        "refresh_token",
        "client_secret",
        "password",
        "code_verifier",
        "id_token_hint",
        "ticket",
        "session_key",
        "client_assertion",
        "csrf_token",
        "Secret",
        "s%65cret",  # what the application reads as "secret"
        "js%5Fcode",
    ],
)
def test_every_credential_parameter_is_redacted(name: str) -> None:
    query = f"appid=wx1&{name}={SECRET}&grant_type=authorization_code".encode()
    redacted = redact_query(query).decode()
    assert SECRET not in redacted
    assert redacted == f"appid=wx1&{name}=***&grant_type=authorization_code"


def test_ordinary_parameters_are_left_as_they_are() -> None:
    query = b"q=Gucci+bags&state=abc&code_challenge=xyz&code_challenge_method=S256&page=2"
    assert redact_query(query) == query
    assert redact_query(b"secret") == b"secret"  # a name without a value hides nothing


@pytest.mark.parametrize(
    "message",
    [
        f"GET http://127.0.0.1:8000/sns/jscode2session?appid=wx1&secret={SECRET}&js_code=abc",
        f"headers: Authorization: Bearer {SECRET}",
        f"[(b'host', b'x'), (b'authorization', b'Basic {SECRET}')]",
        f"{{'client_secret': '{SECRET}', 'grant_type': 'client_credentials'}}",
        f'{{"access_token": "{SECRET}", "expires_in": 7200}}',
        f"Cookie: mp_session={SECRET}; mp_csrf=x",
        f"token={SECRET}",
    ],
)
def test_error_texts_lose_their_credentials(message: str) -> None:
    assert SECRET not in redact_text(message)


def test_error_texts_keep_what_helps() -> None:
    message = "jscode2session refused: errcode=40029, appid=wx1, path=/pages/index"
    assert redact_text(message) == message


def _record(message: str, *, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, error.__traceback__) if error is not None else None
    return logging.LogRecord("miniport.test", logging.ERROR, __file__, 1, message, (), exc_info)


def _failure() -> BaseException:
    try:
        raise RuntimeError(f"fetching https://platform/cgi-bin/token?appid=wx1&secret={SECRET}")
    except RuntimeError as error:
        return error


def test_a_traceback_in_the_log_is_redacted_and_carries_the_request_id() -> None:
    token = request_ids.current.set(b"abcd-7")
    try:
        entry = json.loads(
            LogFormatter(json=True, service="platform").format(
                _record("POST /token failed", error=_failure())
            )
        )
        text_line = LogFormatter(json=False).format(_record("failed", error=_failure()))
    finally:
        request_ids.current.reset(token)
    assert entry["level"] == "error" and entry["service"] == "platform"
    assert entry["request_id"] == "abcd-7"
    assert "RuntimeError" in entry["error"] and "secret=***" in entry["error"]
    assert SECRET not in json.dumps(entry)
    assert "[abcd-7]" in text_line and "Traceback" in text_line and SECRET not in text_line


def test_sql_parameters_stay_out_of_database_errors(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection, pytest.raises(OperationalError) as failed:
            connection.execute(text("SELECT * FROM missing WHERE code = :code"), {"code": SECRET})
    finally:
        engine.dispose()
    assert "missing" in str(failed.value)
    assert SECRET not in str(failed.value)


def test_json_unless_a_terminal_or_asked_otherwise(tmp_path: Path) -> None:
    primary, replica = os.openpty()
    try:
        with os.fdopen(replica, "w", closefd=False) as terminal:
            assert wants_json("auto", terminal) is False
            assert wants_json("json", terminal) is True
        with (tmp_path / "log").open("w") as file:
            assert wants_json("auto", file) is True
            assert wants_json("text", file) is False
    finally:
        os.close(primary)
        os.close(replica)


def test_access_lines_are_written_in_batches_and_all_of_them_at_close() -> None:
    output = io.BytesIO()
    sink = LineBuffer(output, interval=60)  # the writer thread will not come round by itself
    log = AccessLog(sink, service="platform", json=True)
    scope = {
        "method": "GET",
        "path": "/sns/jscode2session",
        "raw_path": b"/sns/jscode2session",
        "query_string": f"appid=wx1&secret={SECRET}".encode(),
        "client": ("203.0.113.9", 50000),
        "http_version": "1.1",
    }
    for number in range(3):
        log.record(
            scope, status=200, sent=45, started=1.0, ended=1.0005, request_id=b"id-%d" % number
        )
    assert output.getvalue() == b""  # nothing written on the request's path
    sink.close()
    lines = [json.loads(line) for line in output.getvalue().splitlines()]
    assert [line["request_id"] for line in lines] == ["id-0", "id-1", "id-2"]
    assert lines[0]["query"] == "appid=wx1&secret=***"
    assert lines[0]["client"] == "203.0.113.9" and lines[0]["status"] == 200


def test_text_access_lines_for_people() -> None:
    output = io.BytesIO()
    sink = LineBuffer(output, interval=60)
    scope = {
        "method": "GET",
        "path": '/notes/a"b',
        "raw_path": b'/notes/a"b',
        "query_string": b"q=1",
        "client": ("127.0.0.1", 1),
        "http_version": "1.1",
    }
    AccessLog(sink, service="host", json=False).record(
        scope, status=404, sent=10, started=2.0, ended=2.00125, request_id=b"r-1"
    )
    sink.close()
    line = output.getvalue().decode()
    assert line.endswith(' "GET /notes/a\\"b?q=1 HTTP/1.1" 404 10 1250us r-1\n')


def test_into_a_pipe_a_batch_goes_in_whole_lines_no_larger_than_pipe_buf(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Worker processes share one pipe (a container's standard output): a write of at most
    # PIPE_BUF bytes is never interleaved with another process's, a larger one may be.
    pieces: list[bytes] = []
    real_write = os.write

    def write(fd: int, data: bytes | memoryview) -> int:
        pieces.append(bytes(data))
        return real_write(fd, data)

    monkeypatch.setattr(access_log.os, "write", write)
    reader, writer = os.pipe()
    lines = [f"line {number} {'x' * (number % 300)}\n" for number in range(200)]
    lines.insert(100, "long " + "y" * (2 * select.PIPE_BUF) + "\n")
    try:
        with os.fdopen(writer, "wb", closefd=False) as stream:
            sink = LineBuffer(stream, interval=60)
            for line in lines:
                sink.append(line)
            sink.close()
        received = b""
        os.set_blocking(reader, False)
        while chunk := _read_some(reader):
            received += chunk
    finally:
        os.close(reader)
        os.close(writer)
    assert received.decode() == "".join(lines)
    assert len(pieces) > 2
    for piece in pieces:
        assert piece.endswith(b"\n")
        assert len(piece) <= select.PIPE_BUF or piece.count(b"\n") == 1


def _read_some(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return b""
