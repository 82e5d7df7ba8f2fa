"""Who may open which console, and refusals of forged requests: a brand never sees or
touches another brand's ports, a host never approves, and every form needs its CSRF token."""

from __future__ import annotations

from contextlib import closing

import httpx

from miniport.common.clock import utcnow
from miniport.platform.accounts.users import create_user
from miniport.platform.ports.lifecycle import apply_for_port
from miniport.platform.ports.states import Actor, ActorKind
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, open_port
from tests.platform.console.factories import (
    STAFF_PASSWORD,
    StaffUser,
    make_brand_member,
    make_host_member,
    signed_in,
)
from tests.platform.console.helpers import csrf_of, port_of


def test_anonymous_visitors_are_sent_to_sign_in(platform_url: str, world: World) -> None:
    response = httpx.get(f"{platform_url}/console/ops/matrix")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Fconsole%2Fops%2Fmatrix"


def test_a_user_without_membership_is_refused(platform_url: str, runtime: PlatformRuntime) -> None:
    with runtime.sessions() as session, session.begin():
        user = create_user(
            session, runtime.passwords, username="plain", display_name="P", password=STAFF_PASSWORD
        )
    with closing(signed_in(platform_url, StaffUser(user.username, user.id))) as client:
        assert client.get("/console").status_code == 403
        assert client.get("/console/ops").status_code == 403


def test_each_role_lands_in_its_console(
    operator: httpx.Client, brand_client: httpx.Client, host_client: httpx.Client, world: World
) -> None:
    assert operator.get("/console").headers["location"] == "/console/ops"
    assert brand_client.get("/console").headers["location"] == f"/console/brand/{world.brand_id}"
    assert host_client.get("/console").headers["location"] == f"/console/host/{world.client_id}"
    # Partner staff never reach the operator pages.
    assert brand_client.get("/console/ops/matrix").status_code == 403
    assert host_client.get("/console/ops/audit").status_code == 403


def test_a_brand_cannot_see_or_touch_another_brands_ports(
    platform_url: str,
    runtime: PlatformRuntime,
    world: World,
    other_brand: tuple[int, str],
    brand_client: httpx.Client,
) -> None:
    other_brand_id, other_appid = other_brand
    with runtime.sessions() as session, session.begin():
        other_port = open_port(session, client_id=world.client_id, appid=other_appid)
    own = f"/console/brand/{world.brand_id}"
    token = csrf_of(brand_client, own)
    # The other brand's console and its port, even through our own brand's URLs: not found.
    assert brand_client.get(f"/console/brand/{other_brand_id}").status_code == 404
    assert brand_client.get(f"{own}/ports/{other_port}").status_code == 404
    assert brand_client.get(f"{own}/ports/{other_port}/close").status_code == 404
    forged = {"csrf_token": token, "version": "2", "category": "policy", "reason": "mine now"}
    assert brand_client.post(f"{own}/ports/{other_port}/close", data=forged).status_code == 404
    assert (
        brand_client.post(
            f"/console/brand/{other_brand_id}/ports/{other_port}/close", data=forged
        ).status_code
        == 404
    )
    assert brand_client.get(f"{own}/mp/{other_appid}").status_code == 404
    rotate = brand_client.post(f"{own}/mp/{other_appid}/rotate", data={"csrf_token": token})
    assert rotate.status_code == 404
    assert port_of(runtime, world.client_id, other_appid).state == "open"
    assert "普拉达" not in brand_client.get(own).text


def test_a_host_can_never_approve(
    platform_url: str, runtime: PlatformRuntime, world: World
) -> None:
    # build_world opened the first host's ports; the second host asks for a mini program.
    actor = Actor(ActorKind.HOST, world.other_client_id)
    with runtime.sessions() as session, session.begin():
        port = apply_for_port(
            session, client_id=world.other_client_id, appid=world.appid, reason_text="please",
            actor=actor, now=utcnow(),
        )  # fmt: skip
        port_id, version = port.id, port.version
    member = make_host_member(runtime, world.other_client_id, "jd-staff")
    with closing(signed_in(platform_url, member)) as host:
        own = f"/console/host/{world.other_client_id}"
        assert "please" in host.get(own).text  # it sees its request and its reason
        data = {"csrf_token": csrf_of(host, own), "version": str(version)}
        # Through the operator's URL: a host is no operator.
        assert host.post(f"/console/ops/ports/{port_id}/approve", data=data).status_code == 403
        # Through the brand's URL: the host is no member of the brand.
        brand_url = f"/console/brand/{world.brand_id}/ports/{port_id}/approve"
        assert host.post(brand_url, data=data).status_code == 404
        # Its own console has no approve action at all.
        assert host.post(f"{own}/approve", data=data).status_code == 400
    assert port_of(runtime, world.other_client_id, world.appid).state == "requested"


def test_a_brand_cannot_reopen_what_the_platform_closed(
    runtime: PlatformRuntime, world: World, brand_client: httpx.Client, operator: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    token = csrf_of(operator, f"/console/ops/ports/{port.id}/close")
    closed = operator.post(
        f"/console/ops/ports/{port.id}/close",
        data={"csrf_token": token, "version": str(port.version), "category": "security",
              "reason": "leaked secret"},
    )  # fmt: skip
    assert closed.status_code == 303
    base = f"/console/brand/{world.brand_id}"
    reopen = brand_client.post(
        f"{base}/ports/{port.id}/reopen",
        data={"csrf_token": csrf_of(brand_client, base), "version": str(port.version + 1),
              "category": "other", "reason": "we want it back"},
    )  # fmt: skip
    assert reopen.status_code == 403
    assert port_of(runtime, world.client_id, world.appid).state == "closed"


def test_forms_without_a_valid_csrf_token_are_refused(
    runtime: PlatformRuntime, world: World, operator: httpx.Client
) -> None:
    port = port_of(runtime, world.client_id, world.appid)
    data = {"version": str(port.version), "category": "security", "reason": "x"}
    assert operator.post(f"/console/ops/ports/{port.id}/close", data=data).status_code == 403
    data["csrf_token"] = "forged"
    assert operator.post(f"/console/ops/ports/{port.id}/close", data=data).status_code == 403
    assert port_of(runtime, world.client_id, world.appid).state == "open"


def test_a_brand_member_sees_only_its_own_deliveries(
    platform_url: str, runtime: PlatformRuntime, world: World, other_brand: tuple[int, str]
) -> None:
    other_brand_id, _ = other_brand
    with closing(
        signed_in(platform_url, make_brand_member(runtime, other_brand_id, "pia"))
    ) as other:
        token = csrf_of(other, f"/console/brand/{other_brand_id}")
        assert other.get(f"/console/brand/{world.brand_id}/webhooks").status_code == 404
        forged = other.post(
            f"/console/brand/{other_brand_id}/webhooks/1/resend", data={"csrf_token": token}
        )
        assert forged.status_code == 404
