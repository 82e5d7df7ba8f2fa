"""``miniport serve shop``: run one brand's store from ``MINIPORT_SHOP_*`` settings.

``--migrate`` brings the store's database schema up to date first; ``--seed`` fills an empty
catalog with the demo data of the settings' brand (``gucci`` or ``louis-vuitton``). The
staff pages' password is ``MINIPORT_SHOP_STAFF_PASSWORD``, else the one generated into
``<data_dir>/shop-<slug>-staff-password.secret`` (where it is, is printed at start).
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from miniport.common.db import make_engine, make_sessionmaker, unit_of_work
from miniport.common.edge.serving import serve
from miniport.common.migrate import SchemaOutOfDate, ensure_current, upgrade
from miniport.common.settings import SettingsError, invalid_settings
from miniport.shop.seed import STORES, AlreadySeeded, seed_shop
from miniport.shop.sessions.entry import MINI_PROGRAM_PAGES
from miniport.shop.settings import ShopSettings

SHOP_FACTORY = "miniport.shop.web.asgi:create_app_from_env"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _preflight(*, migrate: bool, seed: bool) -> ShopSettings:
    """What would make every worker fail, checked once before any worker starts."""
    try:
        settings = ShopSettings()
        if not settings.appid or not settings.app_secret.get_secret_value():
            raise _fail("set MINIPORT_SHOP_APPID and MINIPORT_SHOP_APP_SECRET")
        if migrate:
            upgrade("shop", settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            ensure_current("shop", engine)
            if seed:
                if settings.slug not in STORES:
                    raise _fail(f"no demo data for {settings.slug!r}; known: {sorted(STORES)}")
                try:
                    with unit_of_work(make_sessionmaker(engine)) as session:
                        seed_shop(session, instance=settings.slug)
                except AlreadySeeded:
                    typer.echo("the catalog is already filled; not seeding again", err=True)
        finally:
            engine.dispose()
        # Generate the secrets now, not in racing worker processes.
        settings.cookie_key()
        settings.staff_password_value()
    except SchemaOutOfDate as error:
        raise _fail(f"{error} (or start with --migrate)") from error
    except SettingsError as error:
        raise _fail(str(error)) from error
    except ValidationError as error:
        raise _fail(invalid_settings(error, prefix="MINIPORT_SHOP_")) from error
    return settings


def serve_shop(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.", min=1, max=65535)] = 8400,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Bring the database schema up to date first.")
    ] = False,
    seed: Annotated[
        bool, typer.Option("--seed", help="Fill an empty catalog with the brand's demo data.")
    ] = False,
) -> None:
    """Serve a brand's store (MINIPORT_SHOP_SLUG, _PLATFORM_URL, _APPID, …) until Ctrl-C."""
    settings = _preflight(migrate=migrate, seed=seed)
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    password = (
        "MINIPORT_SHOP_STAFF_PASSWORD"
        if settings.staff_password is not None
        else str(settings.secret_file("staff-password"))
    )
    # On standard error, like every other message: standard output is the access log.
    typer.echo(
        f"{settings.name_en} ({settings.slug}) on http://{host}:{port}, database {url}.\n"
        f"Register on the platform: entry URL {settings.entry_url}, "
        f"pages {', '.join(MINI_PROGRAM_PAGES)}.\n"
        f"Framed by: {', '.join(settings.frame_ancestors) or 'no host app yet'}.\n"
        f"Staff pages: {settings.base_url}/staff (password: {password}).",
        err=True,
    )
    serve(
        SHOP_FACTORY, settings, service=settings.service_name, host=host, port=port, workers=workers
    )
