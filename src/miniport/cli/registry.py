"""``miniport brand|mp|host``: register brands, their mini programs, and host apps.

Every change is written to the audit log as the registry function making it records it,
with ``--actor`` (default ``cli:<OS user>``) as the operator who made it.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from miniport.cli import payloads
from miniport.cli.acting import ActorOption, acting
from miniport.cli.context import platform_database
from miniport.cli.output import JsonOption, Output, Payload, record, rows, secret
from miniport.cli.webhooks import record_with_webhook_secret, webhook_secret_notice
from miniport.common.db import unit_of_work
from miniport.platform.atrest.columns import webhook_secret
from miniport.platform.keys.keyring import SUPPORTED_ALGORITHMS
from miniport.platform.registry import admin

brand_app = typer.Typer(
    help="Brand entities: the owners of mini programs (one unionid per user per brand).",
    no_args_is_help=True,
)
mp_app = typer.Typer(
    help="Mini programs: a brand's app (appid + secret), its entry URL and allowed pages.",
    no_args_is_help=True,
)
host_app = typer.Typer(
    help="Host apps: partner apps (OAuth clients) that ask to run mini programs for users.",
    no_args_is_help=True,
)

NameZh = Annotated[str, typer.Option("--name-zh", help="Chinese display name, e.g. 古驰.")]
NameEn = Annotated[str, typer.Option("--name-en", help="English display name, e.g. Gucci.")]
WebhookUrl = Annotated[
    str | None,
    typer.Option(help="http(s) URL that receives signed notices when a port opens or closes."),
]


# --- brand -------------------------------------------------------------------------------------

BRAND_COLUMNS = ("id", "slug", "name_zh", "name_en", "webhook_url")


@brand_app.command("create")
def brand_create(
    slug: Annotated[
        str, typer.Option(help="Short lowercase name: letters, digits and '-', e.g. gucci.")
    ],
    name_zh: NameZh,
    name_en: NameEn,
    webhook_url: WebhookUrl = None,
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Register a brand entity."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        cipher = db.data_cipher(session)
        row = admin.create_brand(
            session,
            slug=slug,
            name_zh=name_zh,
            name_en=name_en,
            webhook_url=webhook_url,
            cipher=cipher,
            actor=acting(session, actor),
        )
        payload = payloads.brand(row)
        signing_secret = webhook_secret(cipher, row)
        if signing_secret:  # generated with the URL; this is its one showing
            payload["webhook_secret"] = signing_secret
    out.emit(
        payload, lambda console: record_with_webhook_secret(console, "Brand registered", payload)
    )


@brand_app.command("list")
def brand_list(json_output: JsonOption = False) -> None:
    """List every brand entity."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        items = [payloads.brand(row) for row in admin.list_brands(session)]
    out.emit({"brands": items}, lambda console: rows(console, "Brands", items, BRAND_COLUMNS))


@brand_app.command("show")
def brand_show(
    brand: Annotated[str, typer.Argument(help="The brand's slug or numeric id.")],
    json_output: JsonOption = False,
) -> None:
    """Show one brand entity and the appids of its mini programs."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        row = admin.get_brand(session, brand)
        payload = payloads.brand(row)
        payload["mini_programs"] = [
            mp.appid for mp in admin.list_mini_programs(session, brand_id=row.id)
        ]
    out.emit(payload, lambda console: record(console, f"Brand {row.slug}", payload))


# --- mini program ------------------------------------------------------------------------------

MP_COLUMNS = ("appid", "brand_id", "name_zh", "name_en", "entry_url")


def _mini_program_with_secret(console: Console, title: str, payload: Payload) -> None:
    record(console, title, payload, hide=("secret",))
    secret(console, f"secret for appid {payload['appid']}", payload["secret"])


@mp_app.command("create")
def mp_create(
    brand: Annotated[str, typer.Option(help="Owning brand: its slug or numeric id.")],
    name_zh: Annotated[
        str, typer.Option("--name-zh", help="Chinese name, e.g. GUCCI古驰线上旗舰店.")
    ],
    name_en: Annotated[
        str, typer.Option("--name-en", help="English name, e.g. GUCCI Online Flagship Store.")
    ],
    entry_url: Annotated[
        str, typer.Option(help="http(s) URL the host opens, with a launch code added.")
    ],
    path: Annotated[
        list[str],
        typer.Option(
            "--path",
            help="An allowed page path such as /pages/index; repeat for each page.",
        ),
    ],
    icon_url: Annotated[str, typer.Option(help="Icon: an http(s) URL or a path.")] = "",
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Register a mini program; prints its appid and its secret (shown once)."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        who = acting(session, actor)
        owner = admin.get_brand(session, brand)
        row, new_secret = admin.create_mini_program(
            session,
            brand_id=owner.id,
            name_zh=name_zh,
            name_en=name_en,
            entry_url=entry_url,
            allowed_paths=path,
            icon_url=icon_url,
            actor=who,
        )
        payload = {**payloads.mini_program(row), "secret": new_secret}
    out.emit(
        payload,
        lambda console: _mini_program_with_secret(console, "Mini program registered", payload),
    )


@mp_app.command("list")
def mp_list(
    brand: Annotated[
        str | None, typer.Option(help="Only this brand's (slug or numeric id).")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """List mini programs."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        brand_id = admin.get_brand(session, brand).id if brand is not None else None
        items = [
            payloads.mini_program(row)
            for row in admin.list_mini_programs(session, brand_id=brand_id)
        ]
    out.emit(
        {"mini_programs": items},
        lambda console: rows(console, "Mini programs", items, MP_COLUMNS),
    )


@mp_app.command("show")
def mp_show(
    appid: Annotated[str, typer.Argument(help="The mini program's appid (wx…).")],
    json_output: JsonOption = False,
) -> None:
    """Show one mini program (never its secret: only a hash of it is kept)."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        payload = payloads.mini_program(admin.get_mini_program(session, appid))
    out.emit(payload, lambda console: record(console, f"Mini program {appid}", payload))


@mp_app.command("rotate-secret")
def mp_rotate_secret(
    appid: Annotated[str, typer.Argument(help="The mini program's appid (wx…).")],
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Replace a mini program's secret; the old one stops working at once."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        row, new_secret = admin.rotate_mini_program_secret(
            session, appid, actor=acting(session, actor)
        )
        payload = {
            "appid": row.appid,
            "secret": new_secret,
            "secret_rotated_at": row.secret_rotated_at,
        }
    out.emit(
        payload,
        lambda console: _mini_program_with_secret(console, "Secret rotated", payload),
    )


# --- host app ----------------------------------------------------------------------------------

HOST_COLUMNS = ("client_id", "slug", "name_zh", "name_en", "redirect_uris")


def _host_with_secret(console: Console, title: str, payload: Payload) -> None:
    record(console, title, payload, hide=("client_secret", "webhook_secret"))
    secret(console, f"client secret for {payload['client_id']}", payload["client_secret"])
    if payload.get("webhook_secret"):
        webhook_secret_notice(console, payload["webhook_secret"])


@host_app.command("create")
def host_create(
    slug: Annotated[
        str, typer.Option(help="Short lowercase name: letters, digits and '-', e.g. xiaohongshu.")
    ],
    name_zh: Annotated[str, typer.Option("--name-zh", help="Chinese name, e.g. 小红书.")],
    name_en: Annotated[str, typer.Option("--name-en", help="English name, e.g. Xiaohongshu.")],
    redirect_uri: Annotated[
        list[str],
        typer.Option(
            "--redirect-uri",
            help="An exact redirect URI (https, or http on 127.0.0.1/[::1]/localhost); "
            "repeat for several.",
        ),
    ],
    logo_url: Annotated[str, typer.Option(help="Logo: an http(s) URL or a path.")] = "",
    webhook_url: WebhookUrl = None,
    id_token_alg: Annotated[
        str,
        typer.Option(
            help="ID token signing algorithm: " + " or ".join(SUPPORTED_ALGORITHMS) + ".",
        ),
    ] = "RS256",  # noqa: S107  (an algorithm name, not a password)
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Register a host app; prints its client_id and client secret (shown once)."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        cipher = db.data_cipher(session)
        row, new_secret = admin.create_host_app(
            session,
            slug=slug,
            name_zh=name_zh,
            name_en=name_en,
            redirect_uris=redirect_uri,
            logo_url=logo_url,
            webhook_url=webhook_url,
            id_token_alg=id_token_alg,
            cipher=cipher,
            actor=acting(session, actor),
        )
        payload = {**payloads.host_app(row), "client_secret": new_secret}
        signing_secret = webhook_secret(cipher, row)
        if signing_secret:  # generated with the URL; this is its one showing
            payload["webhook_secret"] = signing_secret
    out.emit(payload, lambda console: _host_with_secret(console, "Host app registered", payload))


@host_app.command("list")
def host_list(json_output: JsonOption = False) -> None:
    """List host apps."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        items = [payloads.host_app(row) for row in admin.list_host_apps(session)]
    out.emit({"host_apps": items}, lambda console: rows(console, "Host apps", items, HOST_COLUMNS))


@host_app.command("show")
def host_show(
    host: Annotated[str, typer.Argument(help="The host app's client_id or slug.")],
    json_output: JsonOption = False,
) -> None:
    """Show one host app (never its secret: only a hash of it is kept)."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        payload = payloads.host_app(admin.get_host_app(session, host))
    out.emit(payload, lambda console: record(console, f"Host app {host}", payload))


@host_app.command("rotate-secret")
def host_rotate_secret(
    host: Annotated[str, typer.Argument(help="The host app's client_id or slug.")],
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Replace a host app's client secret; the old one stops working at once."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        row, new_secret = admin.rotate_host_secret(session, host, actor=acting(session, actor))
        payload = {
            "client_id": row.client_id,
            "client_secret": new_secret,
            "secret_rotated_at": row.secret_rotated_at,
        }
    out.emit(payload, lambda console: _host_with_secret(console, "Client secret rotated", payload))
