"""``POST /webhooks/platform``: only the platform's signed, fresh events clear the cards,
and each event acts once."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest
from standardwebhooks import Webhook

from tests.host.browsing import cards_of
from tests.host.conftest import HOST_PASSWORD, WEBHOOK_SECRET, StandAlone
from tests.support.html_forms import form_with, submit


def signed(
    body: str,
    *,
    message_id: str = "msg_1",
    secret: str = WEBHOOK_SECRET,
    at: dt.datetime | None = None,
) -> dict[str, str]:
    moment = at or dt.datetime.now(dt.UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body),
        "content-type": "application/json",
    }


def event(event_type: str = "port.closed") -> str:
    return json.dumps(
        {
            "type": event_type,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "data": {"appid": "wx00000000000000aa", "reason": {"category": "policy"}},
        }
    )


@pytest.fixture
def signed_in(standalone: StandAlone) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=standalone.url, follow_redirects=True, timeout=10) as client:
        page = client.get("/signin")
        submit(
            client,
            page,
            form_with(page.text, "password"),
            {"username": "lin", "password": HOST_PASSWORD},
        )
        yield client


def gucci_has_entry(client: httpx.Client) -> bool:
    return cards_of(client.get("/search", params={"q": "Gucci"}).text)["gucci"]


def test_a_signed_close_event_clears_the_cards_at_once(
    standalone: StandAlone, signed_in: httpx.Client
) -> None:
    assert gucci_has_entry(signed_in)
    standalone.platform.closed["wx00000000000000aa"] = "port_closed"
    assert gucci_has_entry(signed_in)  # still the cached answer

    body = event()
    answer = httpx.post(standalone.url + "/webhooks/platform", content=body, headers=signed(body))

    assert answer.status_code == 200 and answer.json() == {"received": True, "duplicate": False}
    assert not gucci_has_entry(signed_in)


def test_a_tampered_body_is_refused_and_changes_nothing(
    standalone: StandAlone, signed_in: httpx.Client
) -> None:
    assert gucci_has_entry(signed_in)
    standalone.platform.closed["wx00000000000000aa"] = "port_closed"
    headers = signed(event("port.staged"))

    answer = httpx.post(
        standalone.url + "/webhooks/platform", content=event("port.closed"), headers=headers
    )

    assert answer.status_code == 401
    assert gucci_has_entry(signed_in)  # the cache was not touched


def test_another_secret_is_refused(standalone: StandAlone) -> None:
    body = event()
    other = "whsec_" + "A" * 43 + "="

    answer = httpx.post(
        standalone.url + "/webhooks/platform", content=body, headers=signed(body, secret=other)
    )

    assert answer.status_code == 401


def test_an_old_delivery_replayed_later_is_refused(standalone: StandAlone) -> None:
    body = event()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)

    answer = httpx.post(
        standalone.url + "/webhooks/platform", content=body, headers=signed(body, at=old)
    )

    assert answer.status_code == 401


def test_a_redelivered_id_acts_only_once(standalone: StandAlone, signed_in: httpx.Client) -> None:
    body = event()
    headers = signed(body, message_id="msg_same")
    first = httpx.post(standalone.url + "/webhooks/platform", content=body, headers=headers)
    assert gucci_has_entry(signed_in)  # fills the cache again after the first clear
    standalone.platform.closed["wx00000000000000aa"] = "port_closed"

    again = httpx.post(standalone.url + "/webhooks/platform", content=body, headers=headers)

    assert first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert gucci_has_entry(signed_in)  # the replay did not clear anything


def test_unsigned_requests_are_refused(standalone: StandAlone) -> None:
    answer = httpx.post(standalone.url + "/webhooks/platform", content=event())

    assert answer.status_code == 401
