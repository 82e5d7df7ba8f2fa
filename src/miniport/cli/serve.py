"""``miniport serve``, ``miniport db`` and ``miniport demo``: running the services."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from miniport.cli.output import Output
from miniport.common.db import make_engine, make_sessionmaker, read_only_engine
from miniport.common.edge.serving import serve
from miniport.common.migrate import current_revision, ensure_current, head_revision, upgrade
from miniport.host.settings import HostSettings
from miniport.platform.atrest.columns import verify_readable
from miniport.platform.settings import PlatformSettings
from miniport.shop.settings import ShopSettings

serve_app = typer.Typer(help="Run a service in the foreground.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)

PLATFORM_FACTORY = "miniport.platform.web.asgi:create_app_from_env"


class Service(StrEnum):
    PLATFORM = "platform"
    HOST = "host"
    SHOP = "shop"


def _database_url(service: Service) -> str:
    """The service's database URL, from its own settings (and their environment prefix)."""
    if service is Service.HOST:
        return HostSettings().database_url
    if service is Service.SHOP:
        return ShopSettings().database_url
    return PlatformSettings().database_url


def _migration_attributes(service: Service) -> dict[str, object]:
    """What a service's migrations need besides the database (see ``common.migrate``)."""
    if service is Service.PLATFORM:
        # Migrations that encrypt existing signing keys and webhook secrets seal with it.
        return {"data_cipher": PlatformSettings().data_cipher()}
    return {}


def _preflight_platform(out: Output) -> PlatformSettings:
    """Everything that would make every worker fail, checked once, before any worker starts."""
    with out.reported():
        settings = PlatformSettings()
        engine = make_engine(settings.database_url)
        try:
            ensure_current("platform", engine)
            # Generate the secrets now, not in racing worker processes.
            settings.identifier_key()
            settings.cookie_key()
            cipher = settings.data_cipher()
            # A wrong at-rest key is reported once here, not by every worker.
            with make_sessionmaker(read_only_engine(engine))() as session:
                verify_readable(session, cipher)
        finally:
            engine.dispose()
        return settings


def run_platform(*, host: str, port: int, workers: int | None = None, **server: Any) -> None:
    """What ``miniport serve platform`` runs: the preflight, then uvicorn until stopped.

    ``server`` passes further uvicorn options (the benchmarks choose its event loop and HTTP
    parser); everything else is exactly what the command does.
    """
    out = Output(json_mode=False)
    settings = _preflight_platform(out)
    public = urlsplit(settings.base_url)
    if public.hostname in ("127.0.0.1", "localhost", "::1") and public.port not in (None, port):
        # On standard error, like every other message: standard output is the access log.
        Console(stderr=True, highlight=False).print(
            f"[yellow]note:[/] MINIPORT_PLATFORM_BASE_URL is {settings.base_url}, but the "
            f"server listens on port {port}; tokens will name {settings.base_url} as issuer."
        )
    serve(
        PLATFORM_FACTORY,
        settings,
        service=settings.service_name,
        host=host,
        port=port,
        workers=workers or settings.workers,
        **server,
    )


@serve_app.command("platform")
def serve_platform(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(help="Worker processes (default: MINIPORT_PLATFORM_WORKERS, else 1).", min=1),
    ] = None,
) -> None:
    """Serve the platform (OpenID provider and pages) until Ctrl-C.

    Refuses to start when the database schema is out of date; run `miniport db upgrade`.
    Writes a redacted access log to standard output, everything else to standard error.
    """
    run_platform(host=host, port=port, workers=workers)


@db_app.command("upgrade")
def db_upgrade(
    service: Annotated[
        Service, typer.Argument(help="Which service's database to migrate.")
    ] = Service.PLATFORM,
) -> None:
    """Migrate a service's database to the newest schema (creating it when missing).

    The host and shop read their own settings (MINIPORT_HOST_*, MINIPORT_SHOP_*).
    """
    out = Output(json_mode=False)
    with out.reported():
        database_url = _database_url(service)
        engine = make_engine(database_url)
        try:
            before = current_revision(engine)
        finally:
            engine.dispose()
        upgrade(service.value, database_url, attributes=_migration_attributes(service))
        head = head_revision(service.value)
    url = make_url(database_url).render_as_string(hide_password=True)
    if before == head:
        out.console.print(f"{service.value} database ({url}) is already at {head}.", soft_wrap=True)
    else:
        out.console.print(
            f"{service.value} database ({url}) upgraded from {before or 'empty'} to {head}.",
            soft_wrap=True,
        )
