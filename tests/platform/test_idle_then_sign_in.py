"""A platform left idle past its key-refresh interval still signs people in at once.

The bug this guards against: the code exchange runs inside the group-commit transaction,
which holds SQLite's write lock; the keyring, once older than its refresh interval, reloaded
*there*, in a second write transaction on the same thread, which waited 30 s for its own lock
and then failed with HTTP 500. Tests that never let time pass could not see it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from miniport.common.db import (
    NestedWriteTransaction,
    make_engine,
    make_sessionmaker,
    read_only_engine,
)
from miniport.common.migrate import upgrade
from miniport.platform.keys.keyring import rotate
from miniport.platform.ports.states import Actor
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.web.app import create_app
from tests.conftest import make_platform_settings
from tests.factories import PASSWORD, World, build_world
from tests.support.oidc import AuthorizeParams, Browser, query_of
from tests.support.servers import free_port, serve_in_thread

REFRESH = 0.5  # seconds: the setting shortened so the test can wait past it for real


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def idle_platform(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, PlatformRuntime]]:
    port = free_port()
    overrides: dict[str, object] = {
        "base_url": f"http://127.0.0.1:{port}",
        "keys_refresh_seconds": REFRESH,
        "registry_cache_seconds": REFRESH,
        "link_cache_seconds": REFRESH,
        "card_cache_seconds": REFRESH,
    }
    if request.param == "postgres":
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    settings = make_platform_settings(tmp_path / "platform", **overrides)
    upgrade("platform", settings.database_url)
    runtime = PlatformRuntime.build(settings)
    try:
        with serve_in_thread(create_app(settings, runtime=runtime), port) as url:
            yield url, runtime
    finally:
        runtime.close()


def _sign_in_and_exchange(url: str, world: World) -> float:
    """Authorization code flow through the pages, then the token request; its duration."""
    params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
    browser = Browser(url)
    try:
        back = browser.authorize(params.query(), username=world.username, password=PASSWORD)
        assert back.is_redirect, back.text
        code = query_of(back.headers["location"])["code"]
        started = time.monotonic()
        token = httpx.post(
            f"{url}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": world.redirect_uri,
                "code_verifier": params.verifier,
            },
            auth=(world.client_id, world.client_secret),
            timeout=10,
        )
        elapsed = time.monotonic() - started
    finally:
        browser.close()
    assert token.status_code == 200, token.text
    assert token.json()["id_token"]
    return elapsed


def test_sign_in_after_idling_past_every_refresh_interval(
    idle_platform: tuple[str, PlatformRuntime],
) -> None:
    url, runtime = idle_platform
    world = build_world(runtime)
    assert _sign_in_and_exchange(url, world) < 5
    for _ in range(2):  # idle past the intervals twice, as a user reading a page would
        time.sleep(REFRESH * 3)
        assert _sign_in_and_exchange(url, world) < 5
        discovery = httpx.get(f"{url}/.well-known/openid-configuration", timeout=5)
        assert discovery.status_code == 200


def test_a_rotation_made_by_a_silent_process_is_used_after_the_interval(
    idle_platform: tuple[str, PlatformRuntime],
) -> None:
    """The refresh still does its job: keys rotated where no bus reaches are picked up."""
    url, runtime = idle_platform
    world = build_world(runtime)
    before = {key["kid"] for key in httpx.get(f"{url}/jwks.json").json()["keys"]}
    # A session factory of its own, not wired to the change bus: nothing is announced.
    silent_engine = make_engine(runtime.settings.database_url)
    try:
        with make_sessionmaker(silent_engine)() as session, session.begin():
            new_kids = set(rotate(session, cipher=runtime.cipher, actor=Actor.system()))
    finally:
        silent_engine.dispose()
    deadline = time.monotonic() + 10
    served = before
    while time.monotonic() < deadline and not new_kids <= served:
        time.sleep(REFRESH / 2)
        served = {key["kid"] for key in httpx.get(f"{url}/jwks.json").json()["keys"]}
    assert new_kids <= served
    assert before <= served  # the previous keys still verify what they signed
    # And the new key signs: the next sign-in's ID token names one of the new kids.
    assert _sign_in_and_exchange(url, world) < 5


def test_a_nested_write_transaction_fails_at_once_instead_of_waiting(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested.db'}")
    sessions = make_sessionmaker(engine)
    readers = make_sessionmaker(read_only_engine(engine))
    with sessions() as session, session.begin():
        session.execute(text("CREATE TABLE t (a INTEGER)"))
    started = time.monotonic()
    with sessions() as outer, outer.begin():
        outer.execute(text("INSERT INTO t VALUES (1)"))
        with readers() as reader:  # reading beside the writer is fine in WAL mode
            assert reader.execute(text("SELECT count(*) FROM t")).scalar() == 0
        with pytest.raises(NestedWriteTransaction), sessions() as inner, inner.begin():
            inner.execute(text("INSERT INTO t VALUES (2)"))
        # A second engine on the same file shares the lock, and the guard knows it.
        other = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'nested.db'}"))
        with pytest.raises(NestedWriteTransaction), other() as inner:
            inner.execute(text("SELECT 1"))
    assert time.monotonic() - started < 2
    # The outer transaction committed; the lock is free again for the same thread.
    with sessions() as session, session.begin():
        session.execute(text("INSERT INTO t VALUES (3)"))
        assert session.execute(text("SELECT a FROM t ORDER BY a")).scalars().all() == [1, 3]
    engine.dispose()
