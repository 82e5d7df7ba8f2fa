"""Signing keys and webhook secrets are stored encrypted at rest, under a key that can be rotated.

Raw SQL never shows a private JWK's ``d`` or a ``whsec_`` secret — after the first start, key
rotation, webhook secret rotation and the migration of a database from before — while the
platform, served over HTTP, keeps signing ID tokens that verify against its JWKS and sending
webhooks that its partners verify with their secret. Rotating the at-rest key follows the
documented steps (docs/configuration.md); a wrong, missing or misplaced key is refused at
start and by the commands, naming the key the data needs.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from joserfc import jwt
from joserfc.jwk import KeySet
from pydantic import SecretStr
from sqlalchemy import select, text

from miniport.common.clock import utcnow
from miniport.common.db import make_engine
from miniport.common.migrate import alembic_config, current_revision, upgrade
from miniport.platform.atrest import AtRestKeyError
from miniport.platform.atrest.cipher import key_id, sealed_key_id
from miniport.platform.keys.keyring import rotate
from miniport.platform.ports import lifecycle
from miniport.platform.ports.states import ReasonCategory
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.web import asgi
from miniport.platform.web.app import create_app
from miniport.platform.webhooks.models import WebhookDelivery
from tests.conftest import make_platform_settings
from tests.factories import PASSWORD, World, build_world
from tests.platform.webhooks.conftest import OPERATOR, connect_partners
from tests.platform.webhooks.receiver import Receiver, running_receiver
from tests.support.oidc import AuthorizeParams, Browser, query_of
from tests.support.platform_cli import PlatformCli
from tests.support.servers import free_port, serve_in_thread


def new_key() -> str:
    return secrets.token_urlsafe(48)


@dataclass
class Deployment:
    """One platform database and data directory, served again and again with the at-rest
    keys of the moment, as an operator restarts it with new settings."""

    data_dir: Path
    database_url: str
    port: int
    receiver: Receiver

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, key: str | None, *previous: str) -> PlatformSettings:
        """``key`` ``None``: the key generated into the data directory."""
        return make_platform_settings(
            self.data_dir,
            database_url=self.database_url,
            base_url=self.url,
            data_key=None if key is None else SecretStr(key),
            data_key_previous=[SecretStr(value) for value in previous],
            webhook_poll_seconds=0.1,
        )

    @contextmanager
    def serving(self, key: str | None, *previous: str) -> Iterator[PlatformRuntime]:
        settings = self.settings(key, *previous)
        runtime = PlatformRuntime.build(settings)
        try:
            with serve_in_thread(create_app(settings, runtime=runtime), self.port):
                yield runtime
        finally:
            runtime.close()

    @contextmanager
    def cli(self, key: str | None, *previous: str) -> Iterator[PlatformCli]:
        cli = PlatformCli(self.settings(key, *previous))
        try:
            yield cli
        finally:
            cli.close()

    def raw(self, sql: str) -> list[Any]:
        engine = make_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(sql)).scalars())
        finally:
            engine.dispose()

    def sealed_values(self) -> list[str]:
        """Every stored private JWK and webhook secret, read with plain SQL."""
        values: list[str] = self.raw(
            "SELECT private_jwk FROM signing_keys "
            "UNION ALL SELECT webhook_secret FROM brands WHERE webhook_secret IS NOT NULL "
            "UNION ALL SELECT webhook_secret FROM host_apps WHERE webhook_secret IS NOT NULL"
        )
        return values


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    data_dir = tmp_path / "platform"
    if request.param == "sqlite":
        database_url = f"sqlite:///{data_dir / 'platform.db'}"
    else:
        database_url = request.getfixturevalue("postgres_url")
    upgrade("platform", database_url)
    with running_receiver() as receiver:
        yield Deployment(data_dir, database_url, free_port(), receiver)


def assert_unreadable(
    deployment: Deployment, runtime: PlatformRuntime, webhook_secrets: Iterable[str]
) -> list[str]:
    """Every stored value is sealed, and none shows a private ``d`` or a webhook secret."""
    stored = deployment.sealed_values()
    private_parts = [
        str(key.as_dict(private=True)["d"]) for key in runtime.keyring.current().verification.keys
    ]
    hidden = [*private_parts, *(secret.removeprefix("whsec_") for secret in webhook_secrets)]
    assert len(stored) >= 2 and private_parts
    for value in stored:
        assert sealed_key_id(value) is not None, value[:40]
        assert '"d"' not in value and "whsec_" not in value
        assert not [part for part in hidden if part in value]
    return stored


def id_token(deployment: Deployment, world: World) -> str:
    browser = Browser(deployment.url)
    try:
        params = AuthorizeParams.new(world.client_id, world.redirect_uri, world.appid)
        back = browser.authorize(params.query(), username=world.username, password=PASSWORD)
        response = httpx.post(
            f"{deployment.url}/token",
            data={
                "grant_type": "authorization_code",
                "code": query_of(back.headers["location"])["code"],
                "redirect_uri": world.redirect_uri,
                "code_verifier": params.verifier,
            },
            auth=(world.client_id, world.client_secret),
        )
    finally:
        browser.close()
    assert response.status_code == 200, response.text
    token: str = response.json()["id_token"]
    return token


def verified_kid(deployment: Deployment, token: str) -> str:
    """The kid of ``token``, once its signature verified against the served JWKS."""
    jwks = httpx.get(f"{deployment.url}/jwks.json").json()
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"])
    return str(decoded.header["kid"])


def toggle_port(runtime: PlatformRuntime, world: World) -> None:
    """Close the host's port to the second mini program, or reopen it (sign-in, which runs
    the flagship store, is not affected)."""
    with runtime.sessions() as session, session.begin():
        port = lifecycle.find_port(session, client_id=world.client_id, appid=world.second_appid)
        assert port is not None
        change = lifecycle.close if port.state == "open" else lifecycle.reopen
        reason = lifecycle.Reason(ReasonCategory.OTHER, "at-rest check")
        change(session, port.id, actor=OPERATOR, reason=reason, now=utcnow())


def toggle_port_and_see_it_verified(
    deployment: Deployment, runtime: PlatformRuntime, world: World
) -> None:
    """Change the port; the server's own worker sends both partners the event, and the
    receiver verifies each with the partner's current secret."""
    receiver = deployment.receiver
    before = {endpoint: len(receiver.events(endpoint)) for endpoint in ("host", "brand")}
    toggle_port(runtime, world)
    receiver.wait_for(
        lambda: all(len(receiver.events(name)) == count + 1 for name, count in before.items())
    )
    assert receiver.rejected == []


def test_raw_rows_never_show_a_private_key_or_a_webhook_secret(deployment: Deployment) -> None:
    key = new_key()
    with deployment.serving(key) as runtime:
        world = build_world(runtime)
        given = list(connect_partners(runtime.sessions, world, deployment.receiver, runtime.cipher))
        assert_unreadable(deployment, runtime, given)  # keys made on first start, URLs set

        with deployment.cli(key) as cli:
            cli.json("keys", "rotate")
            rotated = cli.json("webhooks", "rotate-secret", "--brand", str(world.brand_id))
            deployment.receiver.secrets["brand"] = rotated["webhook_secret"]
            given.append(rotated["webhook_secret"])
            # Registered with a URL: the secret comes with the registration.
            created = cli.json(
                "host", "create", "--slug", "dianping", "--name-zh", "大众点评",
                "--name-en", "Dianping", "--redirect-uri", "https://dianping.example/cb",
                "--webhook-url", "https://dianping.example/hooks",
            )  # fmt: skip
            given.append(created["webhook_secret"])
        runtime.keyring.reload()
        stored = assert_unreadable(deployment, runtime, given)
        assert len(stored) == 4 + 3  # two generations of keys; host, brand and dianping

        # Still a working platform: ID tokens verify against the JWKS, webhooks verify.
        token = id_token(deployment, world)
        assert verified_kid(deployment, token) in {
            kid for kid, _ in runtime.keyring.current().signing.values()
        }
        toggle_port_and_see_it_verified(deployment, runtime, world)


def test_rotating_the_at_rest_key_end_to_end(deployment: Deployment) -> None:
    old, new = new_key(), new_key()
    receiver = deployment.receiver
    with deployment.serving(old) as runtime:
        world = build_world(runtime)
        connect_partners(runtime.sessions, world, receiver, runtime.cipher)
        first_token = id_token(deployment, world)
        toggle_port_and_see_it_verified(deployment, runtime, world)
    assert {sealed_key_id(value) for value in deployment.sealed_values()} == {key_id(old)}

    # Step 1: the new key seals, the old one still opens.
    with deployment.serving(new, old) as runtime, deployment.cli(new, old) as cli:
        assert verified_kid(deployment, first_token)
        toggle_port_and_see_it_verified(deployment, runtime, world)
        receiver.secrets["host"] = cli.json("webhooks", "rotate-secret", "--host", world.client_id)[
            "webhook_secret"
        ]
        with runtime.sessions() as session, session.begin():
            rotate(session, cipher=runtime.cipher, actor=OPERATOR)  # the server reloads at once
        toggle_port_and_see_it_verified(deployment, runtime, world)
        mixed = {sealed_key_id(value) for value in deployment.sealed_values()}
        assert mixed == {key_id(old), key_id(new)}

        # Step 2: move everything to the new key, while the server keeps serving.
        head = cli.head()
        moved = cli.json("keys", "reencrypt")
        assert moved == {
            "key_id": key_id(new),
            "signing_keys": 2,  # the first generation; the rotation's keys are new already
            "webhook_secrets": 1,  # the brand's; the host's was rotated under the new key
            "unchanged": 3,
        }
        assert cli.json("keys", "reencrypt") == {
            "key_id": key_id(new), "signing_keys": 0, "webhook_secrets": 0, "unchanged": 6,
        }  # fmt: skip
        assert [entry[:2] for entry in cli.new_entries(head)] == [
            ("keys.reencrypted", f"at_rest_key:{key_id(new)}")
        ]
        assert {sealed_key_id(value) for value in deployment.sealed_values()} == {key_id(new)}
        second_token = id_token(deployment, world)
        toggle_port_and_see_it_verified(deployment, runtime, world)

    # Step 3: the old key is gone from the settings; everything still works.
    with deployment.serving(new) as runtime:
        assert verified_kid(deployment, first_token) != verified_kid(deployment, second_token)
        assert verified_kid(deployment, id_token(deployment, world))
        toggle_port_and_see_it_verified(deployment, runtime, world)
        assert_unreadable(deployment, runtime, receiver.secrets.values())

    # And the old key alone no longer opens anything.
    with pytest.raises(AtRestKeyError, match=key_id(new)):
        PlatformRuntime.build(deployment.settings(old))


def test_a_wrong_or_missing_key_is_refused_at_start_and_by_commands(
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    right, wrong = new_key(), new_key()
    with deployment.serving(right) as runtime:
        world = build_world(runtime)
        connect_partners(runtime.sessions, world, deployment.receiver, runtime.cipher)

    # Wrong, or missing (a new key is generated into an empty data directory).
    for key in (wrong, None):
        with pytest.raises(AtRestKeyError) as refused:
            PlatformRuntime.build(deployment.settings(key))
        message = str(refused.value)
        assert f"at-rest key {key_id(right)}, which is not configured" in message
        assert "MINIPORT_PLATFORM_DATA_KEY" in message and right not in message

    with deployment.cli(wrong) as cli:
        for command_line in (
            ("keys", "rotate"),
            ("keys", "reencrypt"),
            ("webhooks", "rotate-secret", "--host", world.client_id),
            ("webhooks", "set-url", "https://xhs.example/v2", "--host", world.client_id),
            ("webhooks", "run", "--once"),
        ):
            assert key_id(right) in cli.json_error(*command_line), command_line
        # `miniport serve platform` says so once, before any worker starts.
        served = cli("serve", "platform", "--port", str(free_port()))
        assert served.exit_code == 1 and key_id(right) in served.output
        for name, value in cli.env.items():
            monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        asgi.create_app_from_env()
    assert exited.value.code == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("miniport platform: ") and key_id(right) in line

    # Nothing was written with the wrong key: the right one still opens everything.
    assert {sealed_key_id(value) for value in deployment.sealed_values()} == {key_id(right)}
    PlatformRuntime.build(deployment.settings(right)).close()


def test_a_value_copied_to_another_row_does_not_decrypt(deployment: Deployment) -> None:
    key = new_key()
    receiver = deployment.receiver
    with deployment.serving(key) as runtime:
        world = build_world(runtime)
        connect_partners(runtime.sessions, world, receiver, runtime.cipher)
        # Someone with write access to the database gives the brand the host's secret.
        engine = make_engine(deployment.database_url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "UPDATE brands SET webhook_secret = "
                        "(SELECT webhook_secret FROM host_apps WHERE client_id = :client_id)"
                    ),
                    {"client_id": world.client_id},
                )
        finally:
            engine.dispose()
        receiver.secrets["brand"] = receiver.secrets["host"]  # what the copy would sign with

        toggle_port(runtime, world)

        def brand_delivery() -> WebhookDelivery | None:
            with runtime.read_sessions() as session:
                return session.scalars(
                    select(WebhookDelivery).where(
                        WebhookDelivery.partner_kind == "brand", WebhookDelivery.attempts > 0
                    )
                ).first()

        receiver.wait_for(lambda: len(receiver.events("host")) == 1 and bool(brand_delivery()))
        attempted = brand_delivery()
        assert attempted is not None
        # The host's own copy goes out; the brand's is never signed with a borrowed secret.
        assert receiver.events("brand") == [] and receiver.rejected == []
        assert attempted.last_error is not None
        assert f"brands.webhook_secret:{world.brand_id}" in attempted.last_error
        assert "copied from another row" in attempted.last_error

    with pytest.raises(AtRestKeyError, match="copied from another row"):
        PlatformRuntime.build(deployment.settings(key))

    # The same for a signing key: the RS256 key's sealed JWK moved into the ES256 row.
    engine = make_engine(deployment.database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE signing_keys SET private_jwk = (SELECT private_jwk FROM signing_keys "
                    "WHERE alg = 'RS256') WHERE alg = 'ES256'"
                )
            )
            connection.execute(text("UPDATE brands SET webhook_secret = NULL"))
    finally:
        engine.dispose()
    with pytest.raises(AtRestKeyError, match=r"signing_keys\.private_jwk:es256-.*copied"):
        PlatformRuntime.build(deployment.settings(key))


def test_the_migration_seals_existing_values_and_its_downgrade_opens_them(
    deployment: Deployment,
) -> None:
    key = new_key()
    receiver = deployment.receiver
    with deployment.serving(key) as runtime:
        world = build_world(runtime)
        connect_partners(runtime.sessions, world, receiver, runtime.cipher)
        kids = set(deployment.raw("SELECT kid FROM signing_keys"))

    # Back to the schema before encryption at rest: the values are plain again.
    settings = deployment.settings(key)
    engine = make_engine(deployment.database_url)
    try:
        with engine.connect() as connection:
            config = alembic_config("platform", deployment.database_url)
            config.attributes["connection"] = connection
            config.attributes["data_cipher"] = settings.data_cipher()
            command.downgrade(config, "0006")
            connection.commit()
        assert current_revision(engine) == "0006"
    finally:
        engine.dispose()
    plain = deployment.sealed_values()
    assert len(plain) == 4
    assert sum('"d"' in value for value in plain) == 2
    assert sorted(value for value in plain if value.startswith("whsec_")) == sorted(
        receiver.secrets.values()
    )

    # Migrating needs the key when there are values to seal, and says how to give it.
    with pytest.raises(AtRestKeyError, match="run `miniport db upgrade platform`"):
        upgrade("platform", deployment.database_url)
    engine = make_engine(deployment.database_url)
    try:
        assert current_revision(engine) == "0006"  # nothing half-done
    finally:
        engine.dispose()

    with deployment.cli(key) as cli:
        migrated = cli("db", "upgrade")
        assert migrated.exit_code == 0, migrated.output
    sealed = deployment.sealed_values()
    assert {sealed_key_id(value) for value in sealed} == {key_id(key)}
    assert not [secret for secret in plain if any(secret in value for value in sealed)]
    if deployment.database_url.startswith("sqlite"):
        # Nor does the database file itself keep the plain values anywhere.
        stored = b"".join(path.read_bytes() for path in deployment.data_dir.glob("platform.db*"))
        assert not [value for value in plain if value.encode() in stored]

    with deployment.serving(key) as runtime:
        assert set(deployment.raw("SELECT kid FROM signing_keys")) == kids
        token = id_token(deployment, world)
        assert verified_kid(deployment, token) in kids  # signed with the migrated key
        toggle_port_and_see_it_verified(deployment, runtime, world)
        assert_unreadable(deployment, runtime, receiver.secrets.values())
