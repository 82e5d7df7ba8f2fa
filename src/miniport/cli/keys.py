"""``miniport keys``: the platform's token signing keys (RS256 and ES256), and the at-rest
key that encrypts them and the partners' webhook secrets in the database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from miniport.cli import payloads
from miniport.cli.acting import ActorOption, acting
from miniport.cli.context import announcing, platform_database
from miniport.cli.output import JsonOption, Output, Payload, rows
from miniport.common.db import unit_of_work
from miniport.platform.atrest.columns import reencrypt
from miniport.platform.keys.keyring import rotate
from miniport.platform.keys.models import SigningKey

keys_app = typer.Typer(
    help="Token signing keys: active signs, previous still verifies (in JWKS), retired is gone.",
    no_args_is_help=True,
)
KEY_COLUMNS = ("kid", "alg", "state", "created_at", "retired_at")


@keys_app.command("rotate")
def keys_rotate(actor: ActorOption = None, json_output: JsonOption = False) -> None:
    """Make a new active key per algorithm; the old one stays in JWKS as previous.

    Keys that were already previous are retired and leave the JWKS. Running servers are told
    on the change bus and switch at once (at the latest after their refresh interval).
    """
    out = Output(json_output)
    with (
        out.reported(),
        platform_database() as db,
        announcing(db),
        unit_of_work(db.sessions) as session,
    ):
        was_previous = set(
            session.scalars(select(SigningKey.kid).where(SigningKey.state == "previous"))
        )
        active = rotate(session, cipher=db.data_cipher(session), actor=acting(session, actor))
        previous = list(
            session.scalars(
                select(SigningKey.kid)
                .where(SigningKey.state == "previous")
                .order_by(SigningKey.alg, SigningKey.kid)
            )
        )
    payload = {"active": active, "previous": previous, "retired": sorted(was_previous)}

    def human(console: Console) -> None:
        console.print("New active keys: " + ", ".join(active))
        console.print("Still verifying (previous): " + (", ".join(previous) or "none"))
        console.print("Retired now: " + (", ".join(sorted(was_previous)) or "none"))
        console.print("Running servers were told and switch to the new keys now.")

    out.emit(payload, human)


@keys_app.command("list")
def keys_list(
    include_retired: Annotated[bool, typer.Option("--all", help="Include retired keys.")] = False,
    json_output: JsonOption = False,
) -> None:
    """List signing keys (never their private parts)."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        query = select(SigningKey).order_by(SigningKey.created_at, SigningKey.alg)
        if not include_retired:
            query = query.where(SigningKey.state != "retired")
        items: list[Payload] = [payloads.signing_key(row) for row in session.scalars(query)]
    out.emit({"keys": items}, lambda console: rows(console, "Signing keys", items, KEY_COLUMNS))


@keys_app.command("reencrypt")
def keys_reencrypt(actor: ActorOption = None, json_output: JsonOption = False) -> None:
    """Encrypt every stored signing key and webhook secret under the current at-rest key.

    Step two of rotating the at-rest key: set MINIPORT_PLATFORM_DATA_KEY to the new key and
    MINIPORT_PLATFORM_DATA_KEY_PREVIOUS to the old one on every server, run this, then remove
    the old key. Refuses, writing nothing, when a value opens with none of the keys.
    """
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        done = reencrypt(session, db.settings.data_cipher(), actor=acting(session, actor))
    payload = {
        "key_id": done.key_id,
        "signing_keys": done.signing_keys,
        "webhook_secrets": done.webhook_secrets,
        "unchanged": done.unchanged,
    }

    def human(console: Console) -> None:
        console.print(
            f"Re-encrypted under at-rest key {done.key_id}: {done.signing_keys} signing keys, "
            f"{done.webhook_secrets} webhook secrets ({done.unchanged} already were)."
        )
        console.print(
            "Every stored value now opens with the current key alone: "
            "MINIPORT_PLATFORM_DATA_KEY_PREVIOUS can be removed."
        )

    out.emit(payload, human)
