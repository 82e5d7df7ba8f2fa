"""Mounts the governance consoles (operator, brand, host) on the platform app."""

from __future__ import annotations

from fastapi import FastAPI

from miniport.platform.web.routes import (
    console_audit,
    console_brand,
    console_common,
    console_host,
    console_ops,
    console_ports,
    console_webhooks,
)


def install(app: FastAPI) -> None:
    console_common.install_errors(app)
    for module in (
        console_ops,
        console_ports,
        console_brand,
        console_host,
        console_webhooks,
        console_audit,
    ):
        app.include_router(module.router)
