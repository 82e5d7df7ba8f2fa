"""``miniport demo``: the article's world, seeded fresh and served on loopback until Ctrl-C."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from miniport.cli.output import Output
from miniport.demo.layout import DEFAULT_DATA_DIR, DEFAULT_PORTS


def _port_option(service: str, variable: str) -> Any:  # typer.Option is typed Any
    """``--<service>-port``: where one service listens on 127.0.0.1."""
    return typer.Option(
        help=f"TCP port of {service} on 127.0.0.1.",
        envvar=f"MINIPORT_DEMO_{variable}_PORT",
        min=1,
        max=65535,
    )


def demo(
    data_dir: Annotated[
        Path,
        typer.Option(
            help="Where the five databases, secrets and logs go; deleted at every start.",
            envvar="MINIPORT_DEMO_DATA_DIR",
        ),
    ] = DEFAULT_DATA_DIR,
    platform_port: Annotated[int, _port_option("the platform (微信)", "PLATFORM")] = DEFAULT_PORTS[
        "platform"
    ],
    xiaohongshu_port: Annotated[
        int, _port_option("the host app 小红书", "XIAOHONGSHU")
    ] = DEFAULT_PORTS["xiaohongshu"],
    jd_port: Annotated[int, _port_option("the host app 京东", "JD")] = DEFAULT_PORTS["jd"],
    gucci_port: Annotated[int, _port_option("Gucci's store", "GUCCI")] = DEFAULT_PORTS["gucci"],
    louis_vuitton_port: Annotated[
        int, _port_option("Louis Vuitton's store", "LOUIS_VUITTON")
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
