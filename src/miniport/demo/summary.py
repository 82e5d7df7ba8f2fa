"""What the demo prints once everything answers: where to go, how to sign in, what to try."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from miniport.demo.world import (
    HOST_PASSWORD,
    OPERATOR,
    PLATFORM_USER,
    STAFF_PASSWORD,
    SeededWorld,
)


@dataclass(frozen=True)
class Page:
    label: str
    path: str


# Platform pages worth a link. Some land with other parts of the project; the summary asks
# the running platform and leaves out what it does not serve, rather than print a 404.
PLATFORM_PAGES = (
    Page("Sign in", "/signin"),
    Page("My authorizations", "/account/authorizations"),
    Page("Operator console", "/console"),
    Page("API reference", "/docs"),
    Page("OpenID discovery", "/.well-known/openid-configuration"),
)


def available(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code != 404
    except httpx.HTTPError:
        return False


def _services_table(world: SeededWorld, pages: list[Page]) -> Table:
    platform = world.layout.url("platform")
    longest_url = max(len(platform + page.path) for page in (*pages, Page("", "")))
    table = Table(show_header=False, box=None, pad_edge=False)
    # Labels may fold on a narrow terminal; URLs never shrink, so they can be copied whole.
    table.add_column(style="bold", overflow="fold")
    table.add_column(no_wrap=True, min_width=longest_url)
    for service in world.services:
        table.add_row(escape(service.label), escape(service.url))
        if service.key == "platform":
            for page in pages:
                table.add_row(f"  {escape(page.label)}", escape(platform + page.path))
    return table


def _sign_in_lines(world: SeededWorld, has_console: bool) -> list[str]:
    layout = world.layout
    hosts = " and ".join(
        f"{escape(host.name_zh)} ({', '.join(world.host_reports[host.slug].usernames)})"
        for host in world.credentials.hosts
    )
    stores = ", ".join(escape(world.service(key).url + "/staff") for key in world.store_summaries)
    lines = [
        "[bold]Sign in[/] (username / password)",
        f"  微信 user           {PLATFORM_USER.username} / {PLATFORM_USER.password}",
        f"  微信 operator       {OPERATOR.username} / {OPERATOR.password}"
        + (f"  → {escape(layout.url('platform'))}/console" if has_console else ""),
        f"  host-app users     any of {hosts} / {HOST_PASSWORD}",
        f"  store staff pages  {stores}  password {STAFF_PASSWORD}",
        "[bold]Registered on the platform[/]",
    ]
    for host in world.credentials.hosts:
        lines.append(f"  {escape(host.name_zh)} client_id {host.client_id}")
    for mp in world.credentials.mini_programs:
        lines.append(f"  {escape(mp.name_zh)} appid {mp.appid}")
    for port in world.credentials.ports:
        lines.append(
            f"  port #{port.id} {escape(world.credentials.host(port.host_slug).name_zh)} × "
            f"{escape(world.credentials.mini_program(port.mini_program_key).name_zh)}: "
            f"{port.state}"
        )
    return lines


def walkthrough(world: SeededWorld, *, has_console: bool) -> list[str]:
    """The article's scenario in five steps, with this run's URLs."""
    layout = world.layout
    xhs, jd = world.credentials.host("xiaohongshu"), world.credentials.host("jd")
    gucci = world.credentials.mini_program("gucci")
    platform = layout.url("platform")
    close_how = (
        f"at {escape(platform)}/console (as {OPERATOR.username}) open the ports matrix, pick "
        f"{escape(xhs.name_zh)} × {escape(gucci.name_zh)} and close it with a reason"
        if has_console
        else "close the port with the platform's governance API (see docs/api.md)"
    )
    return [
        "[bold]Try the story[/]",
        f"  1. Open {escape(xhs.name_zh)} at {escape(layout.url('xiaohongshu'))}, sign in as "
        f'{PLATFORM_USER.username} / {HOST_PASSWORD} and search "Gucci": the brand card '
        f"carries the {escape(gucci.name_zh)} mini-program entry.",
        f"  2. Tap it: {escape('微信')} signs you in ({PLATFORM_USER.username} / "
        f"{PLATFORM_USER.password}) and asks whether {escape(xhs.name_zh)} may run the mini "
        "program with your identity. Allow.",
        f"  3. Back in {escape(xhs.name_zh)}, the store opens in its mini-program frame: add a "
        f"piece to the bag and place the order. It is listed with {escape(xhs.name_zh)} as "
        f"its source, for the brand too: {escape(world.service('gucci').url)}/staff.",
        f"  4. As the operator, {close_how}. Search again in {escape(xhs.name_zh)}: a plain "
        "account card, and the store no longer opens.",
        f"  5. {escape(jd.name_zh)} is untouched: at {escape(layout.url('jd'))} search "
        f'"Louis Vuitton" and tap its store. (Revoke {escape(xhs.name_zh)} at '
        f"{escape(platform)}/account/authorizations and its next tap asks for consent again.)",
    ]


def print_summary(console: Console, world: SeededWorld) -> None:
    platform = world.layout.url("platform")
    with httpx.Client(timeout=5.0) as client:
        pages = [page for page in PLATFORM_PAGES if available(client, platform + page.path)]
    has_console = any(page.path == "/console" for page in pages)
    console.print(
        Panel(
            _services_table(world, pages),
            title="miniport demo: the article's world on 127.0.0.1",
            title_align="left",
        )
    )
    lines = [
        *_sign_in_lines(world, has_console),
        *walkthrough(world, has_console=has_console),
        f"[dim]Data and logs: {escape(str(world.layout.data_dir.resolve()))}[/]",
        "[bold]Ctrl-C stops every service.[/]",
    ]
    for line in lines:
        # Never wrapped mid-id, so ids and URLs can be copied whole from any terminal width.
        console.print(line, soft_wrap=True, highlight=False)
