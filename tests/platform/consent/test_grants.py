"""Remembered consents: remember, list, revoke — and revoking kills the host's tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from miniport.common.clock import utcnow
from miniport.common.tokens import digest, new_secret
from miniport.platform.accounts.users import create_user
from miniport.platform.consent import grants
from miniport.platform.consent.grants import (
    has_active_grant,
    list_grants,
    remember_grant,
    revoke_grant,
)
from miniport.platform.oauth.models import AuthorizationCode, IssuedToken
from miniport.platform.runtime import PlatformRuntime
from tests.factories import World, build_world

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(runtime: PlatformRuntime) -> World:
    return build_world(runtime)


def _token(
    runtime: PlatformRuntime, *, user_id: int | None, client_id: str, kind: str = "access"
) -> str:
    value = new_secret()
    with runtime.sessions() as session, session.begin():
        session.add(
            IssuedToken(
                digest=digest(value),
                kind=kind,
                family=new_secret(16),
                client_id=client_id,
                user_id=user_id,
                scope="openid miniprogram",
                auth_time=T0,
                expires_at=utcnow() + dt.timedelta(hours=2),
            )
        )
    return digest(value)


def _revoked_at(runtime: PlatformRuntime, token_digest: str) -> dt.datetime | None:
    with runtime.sessions() as session:
        token = session.get(IssuedToken, token_digest)
        assert token is not None
        return token.revoked_at


def test_remember_then_list(runtime: PlatformRuntime, world: World) -> None:
    with runtime.sessions() as session, session.begin():
        assert not has_active_grant(session, user_id=world.user_id, client_id=world.client_id)
        remember_grant(
            session, user_id=world.user_id, client_id=world.client_id, appids=[world.appid], now=T0
        )
        later = T0 + dt.timedelta(days=2)
        remember_grant(
            session,
            user_id=world.user_id,
            client_id=world.client_id,
            appids=[world.second_appid, world.appid, world.appid],
            now=later,
        )
    with runtime.sessions() as session:
        assert has_active_grant(session, user_id=world.user_id, client_id=world.client_id)
        assert not has_active_grant(session, user_id=world.user_id, client_id=world.other_client_id)
        (view,) = list_grants(session, user_id=world.user_id)
    assert view.client_id == world.client_id
    assert (view.host_name_zh, view.host_name_en) == ("小红书", "Xiaohongshu")
    assert view.granted_at == T0  # an active grant keeps its original date
    apps = {app.appid: app for app in view.apps}
    assert set(apps) == {world.appid, world.second_appid}
    assert (apps[world.appid].first_at, apps[world.appid].last_at) == (T0, later)
    assert (apps[world.second_appid].first_at, apps[world.second_appid].last_at) == (later, later)
    assert apps[world.appid].name_zh == "GUCCI古驰线上旗舰店"
    assert view.apps[0].last_at >= view.apps[-1].last_at


def test_grants_are_per_user(runtime: PlatformRuntime, world: World) -> None:
    with runtime.sessions() as session, session.begin():
        other = create_user(
            session, runtime.passwords, username="zhang", display_name="张", password="x" * 12
        )
        remember_grant(
            session, user_id=world.user_id, client_id=world.client_id, appids=[world.appid], now=T0
        )
        assert list_grants(session, user_id=other.id) == []
        assert not has_active_grant(session, user_id=other.id, client_id=world.client_id)


def test_revoke_kills_that_hosts_tokens_only(runtime: PlatformRuntime, world: World) -> None:
    with runtime.sessions() as session, session.begin():
        remember_grant(
            session, user_id=world.user_id, client_id=world.client_id, appids=[world.appid], now=T0
        )
        remember_grant(
            session,
            user_id=world.user_id,
            client_id=world.other_client_id,
            appids=[world.appid],
            now=T0,
        )
        stranger = create_user(
            session, runtime.passwords, username="zhang", display_name="张", password="x" * 12
        )
        stranger_id = stranger.id
    access = _token(runtime, user_id=world.user_id, client_id=world.client_id)
    refresh = _token(runtime, user_id=world.user_id, client_id=world.client_id, kind="refresh")
    other_host = _token(runtime, user_id=world.user_id, client_id=world.other_client_id)
    other_user = _token(runtime, user_id=stranger_id, client_id=world.client_id)
    app_token = _token(runtime, user_id=None, client_id=world.client_id)
    code_value = new_secret()
    with runtime.sessions() as session, session.begin():
        session.add(
            AuthorizationCode(
                digest=digest(code_value),
                family=new_secret(16),
                client_id=world.client_id,
                user_id=world.user_id,
                redirect_uri=world.redirect_uri,
                code_challenge="c" * 43,
                scope="openid",
                auth_time=T0,
                expires_at=utcnow() + dt.timedelta(minutes=1),
            )
        )

    now = utcnow()
    with runtime.sessions() as session, session.begin():
        revoked = revoke_grant(session, user_id=world.user_id, client_id=world.client_id, now=now)
    assert revoked == 2
    assert _revoked_at(runtime, access) == now
    assert _revoked_at(runtime, refresh) == now
    for untouched in (other_host, other_user, app_token):
        assert _revoked_at(runtime, untouched) is None
    with runtime.sessions() as session:
        code = session.get(AuthorizationCode, digest(code_value))
        assert code is not None and code.used_at == now  # cannot be exchanged any more
        assert not has_active_grant(session, user_id=world.user_id, client_id=world.client_id)
        assert has_active_grant(session, user_id=world.user_id, client_id=world.other_client_id)
        assert [view.client_id for view in list_grants(session, user_id=world.user_id)] == [
            world.other_client_id
        ]
        # Revoking again finds nothing left to revoke.
        assert revoke_grant(session, user_id=world.user_id, client_id=world.client_id, now=now) == 0


def test_allowing_again_starts_a_fresh_grant(runtime: PlatformRuntime, world: World) -> None:
    with runtime.sessions() as session, session.begin():
        remember_grant(
            session, user_id=world.user_id, client_id=world.client_id, appids=[world.appid], now=T0
        )
        revoke_grant(session, user_id=world.user_id, client_id=world.client_id, now=T0)
        again = T0 + dt.timedelta(days=1)
        remember_grant(
            session,
            user_id=world.user_id,
            client_id=world.client_id,
            appids=[world.second_appid],
            now=again,
        )
        (view,) = list_grants(session, user_id=world.user_id)
    assert view.granted_at == again
    assert [app.appid for app in view.apps] == [world.second_appid]
    assert view.apps[0].first_at == again


@pytest.fixture
def hook_calls() -> Iterator[list[str]]:
    calls: list[str] = []

    def hook() -> None:
        calls.append("cleared")

    grants.on_tokens_revoked.append(hook)
    yield calls
    grants.on_tokens_revoked.remove(hook)


def test_hooks_run_once_the_revocation_is_committed(
    runtime: PlatformRuntime, world: World, hook_calls: list[str]
) -> None:
    with runtime.sessions() as session:
        remember_grant(
            session, user_id=world.user_id, client_id=world.client_id, appids=[world.appid], now=T0
        )
        session.commit()
        revoke_grant(session, user_id=world.user_id, client_id=world.client_id, now=T0)
        # A cache cleared before the commit could re-learn the still-valid tokens.
        assert hook_calls == []
        session.commit()
        assert hook_calls == ["cleared"]
        session.commit()
        assert hook_calls == ["cleared"]

    with runtime.sessions() as session:
        revoke_grant(session, user_id=world.user_id, client_id=world.client_id, now=T0)
        session.rollback()
    assert hook_calls == ["cleared"]


def test_token_rows_carry_the_revocation(runtime: PlatformRuntime, world: World) -> None:
    token = _token(runtime, user_id=world.user_id, client_id=world.client_id)
    with runtime.sessions() as session, session.begin():
        assert revoke_grant(session, user_id=world.user_id, client_id=world.client_id, now=T0) == 1
    with runtime.sessions() as session:
        rows = session.scalars(select(IssuedToken).where(IssuedToken.revoked_at.is_not(None)))
        assert [row.digest for row in rows] == [token]
