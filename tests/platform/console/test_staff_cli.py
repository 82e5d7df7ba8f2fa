"""``miniport staff grant|revoke|list``: console memberships from the command line, each
change audited, with a clear refusal (no traceback) for what does not exist."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing

import pytest

from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from tests.factories import World
from tests.platform.console.factories import StaffUser, signed_in
from tests.support.platform_cli import PlatformCli

PASSWORD = "console password 42"


@pytest.fixture
def cli(platform_settings: PlatformSettings) -> Iterator[PlatformCli]:
    runner = PlatformCli(platform_settings)
    yield runner
    runner.close()


@pytest.fixture
def bob(cli: PlatformCli) -> StaffUser:
    created = cli.json("user", "create", "--username", "bob", "--password", PASSWORD)
    return StaffUser("bob", created["id"], PASSWORD)


def test_grant_list_and_revoke_are_audited(cli: PlatformCli, world: World, bob: StaffUser) -> None:
    seen = cli.head()
    by_id = cli.json("staff", "grant", "bob", "--brand", str(world.brand_id))
    by_slug = cli.json("staff", "grant", "bob", "--host", "jd", "--actor", "ops:olga")
    operator = cli.json("staff", "grant", "bob", "--operator")
    assert (by_id["role"], by_id["brand_id"], by_id["host_client_id"]) == (
        "brand", world.brand_id, None,
    )  # fmt: skip
    assert (by_slug["role"], by_slug["host_client_id"]) == ("host", world.other_client_id)
    assert operator["role"] == "operator"

    listed = cli.json("staff", "list", "--user", "BOB")["memberships"]
    assert [(m["role"], m["brand_id"], m["host_client_id"]) for m in listed] == [
        ("brand", world.brand_id, None),
        ("host", None, world.other_client_id),
        ("operator", None, None),
    ]
    assert [m["username"] for m in cli.json("staff", "list")["memberships"]] == ["bob"] * 3

    revoked = cli.json("staff", "revoke", "bob", "--host", world.other_client_id)
    assert revoked["revoked"] and revoked["host_client_id"] == world.other_client_id
    assert [m["role"] for m in cli.json("staff", "list")["memberships"]] == ["brand", "operator"]

    assert cli.new_entries(seen) == [
        ("staff.granted", "user:bob", "operator", "cli:alice", "cli:alice"),
        ("staff.granted", "user:bob", "operator", "ops:olga", "ops:olga"),
        ("staff.granted", "user:bob", "operator", "cli:alice", "cli:alice"),
        ("staff.revoked", "user:bob", "operator", "cli:alice", "cli:alice"),
    ]
    entries = cli.entries()
    assert entries[-4].after == {"role": "brand", "brand_id": world.brand_id}
    assert entries[-1].before == {"role": "host", "host_client_id": world.other_client_id}
    assert cli.json("audit", "verify")["ok"]


def test_a_granted_member_can_open_that_console_until_revoked(
    platform_url: str, runtime: PlatformRuntime, cli: PlatformCli, world: World, bob: StaffUser
) -> None:
    brand_home = f"/console/brand/{world.brand_id}"
    with closing(signed_in(platform_url, bob)) as client:
        assert client.get(brand_home).status_code == 403  # no membership yet
        cli.json("staff", "grant", "bob", "--brand", "gucci")
        assert client.get(brand_home).status_code == 200
        assert client.get(f"/console/host/{world.client_id}").status_code == 404
        cli.json("staff", "revoke", "bob", "--brand", str(world.brand_id))
        assert client.get(brand_home).status_code == 403


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("grant", "nobody", "--operator"), "no user 'nobody'"),
        (("grant", "bob", "--brand", "999"), "no brand '999'"),
        (("grant", "bob", "--brand", "prada"), "no brand 'prada'"),
        (("grant", "bob", "--host", "hc0000000000000000"), "no host app 'hc0000000000000000'"),
        (("grant", "bob"), "name exactly one of --operator, --brand or --host"),
        (("grant", "bob", "--operator", "--host", "jd"), "name exactly one of"),
        (("revoke", "bob", "--operator"), "user 'bob' is not an operator"),
        (("revoke", "nobody", "--operator"), "no user 'nobody'"),
        (("list", "--user", "nobody"), "no user 'nobody'"),
    ],
)
def test_unknown_accounts_brands_and_hosts_are_refused_clearly(
    cli: PlatformCli, world: World, bob: StaffUser, args: tuple[str, ...], message: str
) -> None:
    seen = cli.head()
    assert message in cli.json_error("staff", *args)
    human = cli("staff", *args)
    assert human.exit_code == 1
    assert message in human.stderr and "Traceback" not in human.output
    assert cli.new_entries(seen) == []


def test_a_membership_already_held_is_refused(
    cli: PlatformCli, world: World, bob: StaffUser
) -> None:
    cli.json("staff", "grant", "bob", "--brand", str(world.brand_id))
    seen = cli.head()
    message = cli.json_error("staff", "grant", "bob", "--brand", "gucci")
    assert message == f"user 'bob' is already a member of brand {world.brand_id}"
    assert len(cli.json("staff", "list", "--user", "bob")["memberships"]) == 1
    assert cli.new_entries(seen) == []
