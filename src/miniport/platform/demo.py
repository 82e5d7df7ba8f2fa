"""``miniport demo``: a fresh platform seeded with the article's world, served on loopback.

The world itself is data (``WORLD``): the people, brands, mini programs and host apps the
demo registers. Another host app (京东 / JD) or more brands (Louis Vuitton, Burberry, Coach,
Cartier, Celine) are entries added there: seeding and printing walk whatever ``WORLD``
holds. The host and shop services join by being started in ``run`` with ``serving``, the way
the platform is.

The passwords below are fixed on purpose so the walk-through can print them; they exist only
in this throw-away database under ``var/demo`` and are never used by anything else.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from miniport.common.migrate import upgrade
from miniport.platform.accounts.passwords import PasswordHasher
from miniport.platform.accounts.users import create_user
from miniport.platform.registry.admin import (
    create_brand,
    create_host_app,
    create_mini_program,
    create_operator,
)
from miniport.platform.runtime import PlatformRuntime
from miniport.platform.settings import PlatformSettings
from miniport.platform.web.app import create_app

DEMO_DIR = Path("var/demo")
LOOPBACK = "127.0.0.1"
PLATFORM_PORT = 8000


# --- the world ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSeed:
    username: str
    display_name: str
    password: str
    operator: bool = False


@dataclass(frozen=True)
class MiniProgramSeed:
    name_zh: str
    name_en: str
    entry_url: str
    allowed_paths: tuple[str, ...]
    icon_url: str = ""


@dataclass(frozen=True)
class BrandSeed:
    slug: str
    name_zh: str
    name_en: str
    mini_programs: tuple[MiniProgramSeed, ...] = ()


@dataclass(frozen=True)
class HostSeed:
    slug: str
    name_zh: str
    name_en: str
    redirect_uris: tuple[str, ...]
    logo_url: str = ""


@dataclass(frozen=True)
class DemoWorld:
    people: tuple[PersonSeed, ...]
    brands: tuple[BrandSeed, ...]
    hosts: tuple[HostSeed, ...]


WORLD = DemoWorld(
    people=(
        PersonSeed(
            username="operator",
            display_name="平台运营 Operator",
            password="operator-demo-pass",  # noqa: S106  (demo-only, printed on screen)
            operator=True,
        ),
        PersonSeed(
            username="lin",
            display_name="林小雨",
            password="lin-demo-pass",  # noqa: S106  (demo-only, printed on screen)
        ),
    ),
    brands=(
        BrandSeed(
            slug="gucci",
            name_zh="古驰",
            name_en="Gucci",
            mini_programs=(
                MiniProgramSeed(
                    name_zh="GUCCI古驰线上旗舰店",
                    name_en="GUCCI Online Flagship Store",
                    entry_url="http://127.0.0.1:8101/mp/entry",
                    allowed_paths=("/pages/index", "/pages/product", "/pages/cart"),
                ),
            ),
        ),
    ),
    hosts=(
        HostSeed(
            slug="xiaohongshu",
            name_zh="小红书",
            name_en="Xiaohongshu",
            redirect_uris=("http://127.0.0.1:8001/auth/callback",),
        ),
    ),
)


# --- seeding -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededMiniProgram:
    brand_slug: str
    name_zh: str
    name_en: str
    appid: str
    secret: str
    entry_url: str


@dataclass(frozen=True)
class SeededHost:
    slug: str
    name_zh: str
    name_en: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass(frozen=True)
class DemoCredentials:
    """What the seeding generated: everything a person needs to try the demo by hand."""

    people: tuple[PersonSeed, ...]
    mini_programs: tuple[SeededMiniProgram, ...]
    hosts: tuple[SeededHost, ...]


def seed(session: Session, hasher: PasswordHasher, world: DemoWorld = WORLD) -> DemoCredentials:
    """Register ``world`` through the same domain functions the CLI uses (flushed only)."""
    for person in world.people:
        make = create_operator if person.operator else create_user
        make(
            session,
            hasher,
            username=person.username,
            display_name=person.display_name,
            password=person.password,
        )
    mini_programs: list[SeededMiniProgram] = []
    for brand_seed in world.brands:
        brand = create_brand(
            session, slug=brand_seed.slug, name_zh=brand_seed.name_zh, name_en=brand_seed.name_en
        )
        for mp_seed in brand_seed.mini_programs:
            mini_program, secret = create_mini_program(
                session,
                brand_id=brand.id,
                name_zh=mp_seed.name_zh,
                name_en=mp_seed.name_en,
                entry_url=mp_seed.entry_url,
                allowed_paths=mp_seed.allowed_paths,
                icon_url=mp_seed.icon_url,
            )
            mini_programs.append(
                SeededMiniProgram(
                    brand_slug=brand.slug,
                    name_zh=mini_program.name_zh,
                    name_en=mini_program.name_en,
                    appid=mini_program.appid,
                    secret=secret,
                    entry_url=mini_program.entry_url,
                )
            )
    hosts: list[SeededHost] = []
    for host_seed in world.hosts:
        host, secret = create_host_app(
            session,
            slug=host_seed.slug,
            name_zh=host_seed.name_zh,
            name_en=host_seed.name_en,
            redirect_uris=host_seed.redirect_uris,
            logo_url=host_seed.logo_url,
        )
        hosts.append(
            SeededHost(
                slug=host.slug,
                name_zh=host.name_zh,
                name_en=host.name_en,
                client_id=host.client_id,
                client_secret=secret,
                redirect_uris=tuple(host.redirect_uris),
            )
        )
    return DemoCredentials(
        people=world.people, mini_programs=tuple(mini_programs), hosts=tuple(hosts)
    )


def demo_settings(data_dir: Path = DEMO_DIR) -> PlatformSettings:
    """Fixed settings: the demo must not pick up a database URL meant for something else."""
    return PlatformSettings(
        environment="development",
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'platform.db'}",
        base_url=f"http://{LOOPBACK}:{PLATFORM_PORT}",
    )


def reset(settings: PlatformSettings) -> None:
    """Delete the previous demo's data directory and migrate a fresh database."""
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    upgrade("platform", settings.database_url)


# --- serving -----------------------------------------------------------------------------------


class DemoError(RuntimeError):
    """The demo cannot start; the message says why and what to do."""


def ensure_port_free(port: int) -> None:
    with socket.socket() as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError as error:
            raise DemoError(
                f"port {port} on {LOOPBACK} is in use (is another demo still running?); "
                "stop it and try again"
            ) from error


@contextmanager
def serving(
    server: uvicorn.Server, *, name: str, timeout: float = 20.0
) -> Iterator[threading.Thread]:
    """Run ``server`` in a thread; stop it when the block ends (Ctrl-C included)."""
    # A thread, not the main thread: uvicorn then leaves signal handling to us, so Ctrl-C
    # lands here as KeyboardInterrupt and every server of the demo can be stopped in turn.
    thread = threading.Thread(target=server.run, name=f"demo-{name}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise DemoError(f"the {name} server did not start; see the messages above")
            time.sleep(0.05)
        yield thread
    finally:
        server.should_exit = True
        try:
            thread.join(timeout=10)
        except KeyboardInterrupt:
            # A second Ctrl-C: stop waiting for open connections to finish.
            server.force_exit = True
            thread.join(timeout=5)


@dataclass(frozen=True)
class Page:
    label: str
    path: str


PAGES = (
    Page("Sign in", "/signin"),
    Page("My authorizations", "/account/authorizations"),
    Page("OpenID discovery", "/.well-known/openid-configuration"),
    Page("JWKS", "/jwks.json"),
    Page("API reference", "/docs"),
)


def _page_available(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code != 404
    except httpx.HTTPError:
        return False


def print_summary(console: Console, settings: PlatformSettings, creds: DemoCredentials) -> None:
    """The URLs and credentials, for a person to copy from the terminal."""
    pages = Table(show_header=False, box=None, pad_edge=False)
    pages.add_column(style="bold")
    pages.add_column()
    with httpx.Client(timeout=5.0) as client:
        for page in PAGES:
            url = settings.base_url + page.path
            # Pages land over several issues; say so rather than print a link that 404s.
            note = "" if _page_available(client, url) else "  [dim](not available yet)[/]"
            pages.add_row(page.label, escape(url) + note)
    console.print(Panel(pages, title=f"miniport platform: {settings.base_url}", title_align="left"))

    lines = ["[bold]People[/] (username / password)"]
    for person in creds.people:
        role = "operator" if person.operator else "user"
        lines.append(f"  {escape(person.username)} / {escape(person.password)}  ({role})")
    for host in creds.hosts:
        lines += [
            f"[bold]Host app {escape(host.name_zh)} / {escape(host.name_en)}[/]",
            f"  client_id      {host.client_id}",
            f"  client_secret  {escape(host.client_secret)}",
            f"  redirect URI   {escape(', '.join(host.redirect_uris))}",
        ]
    for mp in creds.mini_programs:
        lines += [
            f"[bold]Mini program {escape(mp.name_zh)} / {escape(mp.name_en)}[/] ({mp.brand_slug})",
            f"  appid          {mp.appid}",
            f"  secret         {escape(mp.secret)}",
            f"  entry URL      {escape(mp.entry_url)}",
        ]
    lines += [
        "[dim]Secrets are stored only as hashes: these are shown once, for this demo run.[/]",
        f"[dim]Data: {escape(str(settings.data_dir.resolve()))}[/]",
        "[bold]Ctrl-C stops the demo.[/]",
    ]
    for line in lines:
        # Never wrapped, so ids and secrets can be copied whole from any terminal width.
        console.print(line, soft_wrap=True, highlight=False)


def run(console: Console | None = None, data_dir: Path = DEMO_DIR) -> None:
    """Reset, migrate, seed, serve until Ctrl-C. Raises ``DemoError`` when it cannot start."""
    console = console or Console()
    settings = demo_settings(data_dir)
    ensure_port_free(PLATFORM_PORT)  # before deleting anything a running demo still uses
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with ExitStack() as running:
        with Progress(*columns, console=console) as progress:
            step = progress.add_task(f"Resetting {data_dir} and migrating the platform database")
            reset(settings)
            progress.update(step, completed=1, total=1)

            step = progress.add_task("Seeding people, brands, mini programs and host apps")
            runtime = PlatformRuntime.build(settings)
            running.callback(runtime.close)
            with runtime.sessions() as session, session.begin():
                credentials = seed(session, runtime.passwords)
            progress.update(step, completed=1, total=1)

            step = progress.add_task(f"Starting the platform on {settings.base_url}")
            config = uvicorn.Config(
                create_app(settings, runtime=runtime),
                host=LOOPBACK,
                port=PLATFORM_PORT,
                log_level="warning",
                lifespan="on",
            )
            thread = running.enter_context(serving(uvicorn.Server(config), name="platform"))
            progress.update(step, completed=1, total=1)
        print_summary(console, settings, credentials)
        try:
            while thread.is_alive():
                thread.join(timeout=0.5)
        except KeyboardInterrupt:
            console.print("Stopping…")
    console.print("Demo stopped.")
