"""When a user revokes a host on "My authorizations", the host and the brands hear of it,
each under the identifiers it already knows the user by, never the platform's user id."""

from __future__ import annotations

import json

import httpx

from miniport.common.clock import utcnow
from miniport.platform.consent.grants import remember_grant, revoke_grant
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.webhooks.delivery import deliver_due
from tests.factories import PASSWORD
from tests.platform.accounts.pages import csrf_of, sign_in
from tests.platform.webhooks.conftest import Partners, event_count
from tests.platform.webhooks.receiver import Receiver


def _grant(runtime: PlatformRuntime, partners: Partners) -> None:
    world = partners.world
    with runtime.sessions() as session, session.begin():
        remember_grant(
            session,
            user_id=world.user_id,
            client_id=world.client_id,
            appids=[world.appid, world.second_appid],
            now=utcnow(),
        )


def test_the_host_gets_its_pairwise_sub_and_the_brand_its_own_ids(
    runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    world = partners.world
    _grant(runtime, partners)
    with runtime.sessions() as session, session.begin():
        revoke_grant(
            session,
            user_id=world.user_id,
            client_id=world.client_id,
            now=utcnow(),
            identifiers=runtime.identifiers,
        )

    assert deliver_due(runtime.sessions, utcnow(), cipher=runtime.cipher) == 2

    (to_host,) = receiver.events("host", "grant.revoked")
    ids = runtime.identifiers
    assert to_host.data["sub"] == ids.host_subject(user_id=world.user_id, client_id=world.client_id)
    assert to_host.data["client_id"] == world.client_id
    assert sorted(to_host.data["appids"]) == sorted([world.appid, world.second_appid])
    assert to_host.data["reason"]["category"] == "user_revoked"

    (to_brand,) = receiver.events("brand", "grant.revoked")
    assert to_brand.data["unionid"] == ids.unionid(user_id=world.user_id, brand_id=world.brand_id)
    assert sorted(to_brand.data["mini_programs"], key=lambda mp: mp["appid"]) == sorted(
        [
            {"appid": appid, "openid": ids.openid(user_id=world.user_id, appid=appid)}
            for appid in (world.appid, world.second_appid)
        ],
        key=lambda mp: mp["appid"],
    )
    # Pairwise stays pairwise: the brand never sees the host's sub, nor the host the brand's.
    assert to_host.data["sub"] not in json.dumps(to_brand.payload)
    assert to_brand.data["unionid"] not in json.dumps(to_host.payload)
    for received in (to_host, to_brand):
        assert "user_id" not in json.dumps(received.payload)


def test_revoking_on_the_page_notifies_through_the_running_server(
    web: httpx.Client, runtime: PlatformRuntime, partners: Partners, receiver: Receiver
) -> None:
    """End to end: the page's revoke button, the outbox, the server's own delivery thread."""
    _grant(runtime, partners)
    sign_in(web, partners.world.username, PASSWORD)
    page = web.get("/account/authorizations")
    response = web.post(
        f"/account/authorizations/{partners.world.client_id}/revoke",
        data={"csrf_token": csrf_of(page)},
    )
    assert response.status_code == 303

    receiver.wait_for(lambda: len(receiver.events("brand", "grant.revoked")) == 1)
    receiver.wait_for(lambda: len(receiver.events("host", "grant.revoked")) == 1)


def test_revoking_what_is_not_granted_sends_nothing(
    runtime: PlatformRuntime, partners: Partners
) -> None:
    before = event_count(runtime.sessions)
    with runtime.sessions() as session, session.begin():
        revoke_grant(
            session,
            user_id=partners.world.user_id,
            client_id=partners.world.client_id,
            now=utcnow(),
            identifiers=runtime.identifiers,
        )
    assert event_count(runtime.sessions) == before
