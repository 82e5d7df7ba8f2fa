"""``miniport demo``: the article's world, seeded fresh and served on loopback until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from miniport.cli.output import Output
from miniport.demo.layout import DEFAULT_DATA_DIR, DEFAULT_PORTS


def demo(
    data_dir: Annotated[
        Path,
        typer.Option(
            help="Where the five databases, secrets and logs go; deleted at every start.",
            envvar="MINIPORT_DEMO_DATA_DIR",
        ),
    ] = DEFAULT_DATA_DIR,
    platform_port: Annotated[
        int,
        typer.Option(
            help="TCP port of the platform (微信) on 127.0.0.1.",
            envvar="MINIPORT_DEMO_PLATFORM_PORT",
            min=1,
            max=65535,
        ),
    ] = DEFAULT_PORTS["platform"],
    xiaohongshu_port: Annotated[
        int,
        typer.Option(
            help="TCP port of the host app 小红书 on 127.0.0.1.",
            envvar="MINIPORT_DEMO_XIAOHONGSHU_PORT",
            min=1,
            max=65535,
        ),
    ] = DEFAULT_PORTS["xiaohongshu"],
    jd_port: Annotated[
        int,
        typer.Option(
            help="TCP port of the host app 京东 on 127.0.0.1.",
            envvar="MINIPORT_DEMO_JD_PORT",
            min=1,
            max=65535,
        ),
    ] = DEFAULT_PORTS["jd"],
    gucci_port: Annotated[
        int,
        typer.Option(
            help="TCP port of Gucci's store on 127.0.0.1.",
            envvar="MINIPORT_DEMO_GUCCI_PORT",
            min=1,
            max=65535,
        ),
    ] = DEFAULT_PORTS["gucci"],
    louis_vuitton_port: Annotated[
        int,
        typer.Option(
            help="TCP port of Louis Vuitton's store on 127.0.0.1.",
            envvar="MINIPORT_DEMO_LOUIS_VUITTON_PORT",
            min=1,
            max=65535,
        ),
    ] = DEFAULT_PORTS["louis-vuitton"],
) -> None:
    """Seed the article's world and serve it on 127.0.0.1 until Ctrl-C.

    The platform 微信, the host apps 小红书 and 京东, and the stores of Gucci and Louis
    Vuitton, each a server of its own with its own database under --data-dir (deleted at
    every start). Prints the URLs, sign-in details and a five-step walk-through.
    """
    # Imported here: the demo pulls in every service's web app, which no other command needs.
    from miniport.demo import DemoError, DemoLayout, run

    layout = DemoLayout(
        data_dir=data_dir,
        platform_port=platform_port,
        xiaohongshu_port=xiaohongshu_port,
        jd_port=jd_port,
        gucci_port=gucci_port,
        louis_vuitton_port=louis_vuitton_port,
    )
    out = Output(json_mode=False)
    try:
        with out.reported():
            run(layout, out.console)
    except DemoError as error:
        out.fail(str(error))
