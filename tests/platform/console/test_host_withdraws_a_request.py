"""A host withdraws its pending port request from its console: the port becomes
``withdrawn``, the audit log has it and the brand's queue no longer shows it. Nobody else
can withdraw it, a form without its CSRF token is refused, and an open port cannot be
withdrawn (a readable refusal, not an error)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from miniport.common.clock import utcnow
from miniport.platform.ports.lifecycle import apply_for_port
from miniport.platform.ports.states import Actor, ActorKind
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World
from tests.platform.console.factories import make_host_member, signed_in
from tests.platform.console.helpers import audit_actions, csrf_of, port_of
from tests.support.html_forms import forms_of, submit


@pytest.fixture
def requested(runtime: PlatformRuntime, world: World) -> int:
    """The second host (京东) asks for the brand's first mini program; returns the port id."""
    with runtime.sessions() as session, session.begin():
        port = apply_for_port(
            session, client_id=world.other_client_id, appid=world.appid,
            reason_text="our shoppers ask for it",
            actor=Actor(ActorKind.HOST, world.other_client_id), now=utcnow(),
        )  # fmt: skip
        return port.id


@pytest.fixture
def jd_client(platform_url: str, runtime: PlatformRuntime, world: World) -> Iterator[httpx.Client]:
    """A member of the second host's staff, signed in to its console."""
    client = signed_in(platform_url, make_host_member(runtime, world.other_client_id, "jin"))
    yield client
    client.close()


def _withdrawals(runtime: PlatformRuntime) -> list[tuple[str, str | None]]:
    return [(t, u) for a, t, u in audit_actions(runtime) if a == "port.withdrawn"]


def _withdraw_url(client_id: str, port_id: int) -> str:
    return f"/console/host/{client_id}/ports/{port_id}/withdraw"


def test_a_host_withdraws_its_pending_request(
    runtime: PlatformRuntime,
    world: World,
    requested: int,
    jd_client: httpx.Client,
    brand_client: httpx.Client,
) -> None:
    home = f"/console/host/{world.other_client_id}"
    queue = f"/console/brand/{world.brand_id}/requests"
    assert f'data-port-id="{requested}"' in brand_client.get(queue).text

    page = jd_client.get(home, params={"lang": "zh_CN"})
    assert "撤回申请" in page.text
    (form,) = [f for f in forms_of(page.text) if f.action.endswith("/withdraw")]
    assert form.action == _withdraw_url(world.other_client_id, requested)
    withdrawn = submit(jd_client, page, form, {})

    assert withdrawn.status_code == 303, withdrawn.text[:500]
    assert withdrawn.headers["location"] == f"{home}?done=withdrawn"
    assert port_of(runtime, world.other_client_id, world.appid).state == "withdrawn"
    assert _withdrawals(runtime) == [(f"port:{requested}", "jin")]
    after = jd_client.get(withdrawn.headers["location"] + "&lang=en").text
    assert "Your request is withdrawn" in after
    assert f'data-port-id="{requested}" data-state="withdrawn"' in after
    assert 'data-testid="withdraw"' not in after  # nothing left to withdraw
    queue_page = brand_client.get(queue).text
    assert f'data-port-id="{requested}"' not in queue_page
    assert 'data-testid="no-requests"' in queue_page


def test_another_host_cannot_withdraw_it(
    runtime: PlatformRuntime, world: World, requested: int, host_client: httpx.Client
) -> None:
    own = f"/console/host/{world.client_id}"
    token = csrf_of(host_client, own)
    # Through its own console's URL the port is not found; the other host's console is not
    # its to use.
    through_own = _withdraw_url(world.client_id, requested)
    through_theirs = _withdraw_url(world.other_client_id, requested)
    for url in (through_own, through_theirs):
        assert host_client.post(url, data={"csrf_token": token}).status_code == 404
    assert port_of(runtime, world.other_client_id, world.appid).state == "requested"
    assert _withdrawals(runtime) == []


def test_a_brand_member_cannot_withdraw_a_hosts_request(
    runtime: PlatformRuntime, world: World, requested: int, brand_client: httpx.Client
) -> None:
    token = csrf_of(brand_client, f"/console/brand/{world.brand_id}")
    host_route = _withdraw_url(world.other_client_id, requested)
    assert brand_client.post(host_route, data={"csrf_token": token}).status_code == 404
    # The brand's own port actions have no withdraw either.
    brand_route = f"/console/brand/{world.brand_id}/ports/{requested}/withdraw"
    assert brand_client.post(brand_route, data={"csrf_token": token}).status_code == 400
    assert port_of(runtime, world.other_client_id, world.appid).state == "requested"
    assert _withdrawals(runtime) == []


def test_a_withdrawal_without_a_valid_csrf_token_is_refused(
    runtime: PlatformRuntime, world: World, requested: int, jd_client: httpx.Client
) -> None:
    url = _withdraw_url(world.other_client_id, requested)
    assert jd_client.post(url, data={}).status_code == 403
    assert jd_client.post(url, data={"csrf_token": "forged"}).status_code == 403
    assert port_of(runtime, world.other_client_id, world.appid).state == "requested"
    assert _withdrawals(runtime) == []


def test_an_open_port_cannot_be_withdrawn(
    runtime: PlatformRuntime, world: World, host_client: httpx.Client
) -> None:
    # build_world opened the first host's port to the first mini program.
    port = port_of(runtime, world.client_id, world.appid)
    assert port.state == "open"
    home = f"/console/host/{world.client_id}"
    page = host_client.get(home, params={"lang": "en"}).text
    assert 'data-testid="withdraw"' not in page  # no button for an open port
    token = csrf_of(host_client, home)

    refused = host_client.post(_withdraw_url(world.client_id, port.id), data={"csrf_token": token})

    assert refused.status_code == 409
    assert "The port's current state does not allow this." in refused.text
    assert port_of(runtime, world.client_id, world.appid).state == "open"
    assert _withdrawals(runtime) == []
