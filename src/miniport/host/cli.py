"""``miniport serve host``: run one host-app instance from ``MINIPORT_HOST_*`` settings."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from miniport.common.db import make_engine
from miniport.common.edge.serving import serve
from miniport.common.migrate import SchemaOutOfDate, ensure_current, upgrade
from miniport.common.settings import SettingsError, invalid_settings
from miniport.host.settings import HostSettings

HOST_FACTORY = "miniport.host.web.asgi:create_app_from_env"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _preflight(migrate: bool) -> HostSettings:
    """What would make every worker fail, checked once before any worker starts."""
    try:
        settings = HostSettings()
        if migrate:
            upgrade("host", settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            ensure_current("host", engine)
        finally:
            engine.dispose()
        # Generate the secrets now, not in racing worker processes.
        settings.cookie_key()
        settings.user_key_key()
        settings.token_key()
    except SchemaOutOfDate as error:
        raise _fail(f"{error} (or start with --migrate)") from error
    except SettingsError as error:
        raise _fail(str(error)) from error
    except ValidationError as error:
        raise _fail(invalid_settings(error, prefix="MINIPORT_HOST_")) from error
    if not settings.client_id or not settings.client_secret.get_secret_value():
        raise _fail("set MINIPORT_HOST_CLIENT_ID and MINIPORT_HOST_CLIENT_SECRET")
    return settings


def serve_host(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.", min=1, max=65535)] = 8100,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Bring the database schema up to date first.")
    ] = False,
) -> None:
    """Serve a host app (MINIPORT_HOST_SLUG, _PLATFORM_URL, _CLIENT_ID, … ) until Ctrl-C."""
    settings = _preflight(migrate)
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    # On standard error, like every other message: standard output is the access log.
    typer.echo(
        f"{settings.name_en} ({settings.slug}) on http://{host}:{port}, database {url}; "
        f"register {settings.redirect_uri} as its redirect URI on the platform.",
        err=True,
    )
    serve(
        HOST_FACTORY, settings, service=settings.service_name, host=host, port=port, workers=workers
    )
