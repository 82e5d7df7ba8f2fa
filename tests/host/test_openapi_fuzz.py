"""The host serves an OpenAPI document of its JSON endpoint, the platform's webhook receiver,
and schemathesis fuzzes it against a real host with all of its checks
(``tests.support.openapi_fuzz``): documented statuses and bodies, malformed deliveries
refused, never a server error.

The fuzzer cannot sign its cases, so every delivery is refused as unsigned (401); the
signed path is covered by ``test_webhooks``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import requests
import schemathesis

from tests.host.conftest import StandAlone
from tests.support.openapi_fuzz import Auth, failures_of, fuzz_operations


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as kept_alive:
        yield kept_alive


def test_the_webhook_receiver_answers_as_its_openapi_document_says(
    standalone: StandAlone, session: requests.Session
) -> None:
    schema = schemathesis.openapi.from_url(f"{standalone.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert [operation.label for operation in operations] == ["POST /webhooks/platform"]

    tallies = fuzz_operations(
        schema, operations, auth_for=lambda _operation: Auth(), session=session
    )
    failures = failures_of(tallies)
    assert not failures, failures
    assert set(tallies["POST /webhooks/platform"].statuses) >= {401}


def test_the_pages_are_not_in_the_document(standalone: StandAlone) -> None:
    paths = httpx.get(f"{standalone.url}/openapi.json").json()["paths"]
    assert list(paths) == ["/webhooks/platform"]
