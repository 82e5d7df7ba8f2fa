"""``miniport webhooks``: partner webhook deliveries, their worker, URLs and signing secrets."""

from __future__ import annotations

import signal
from enum import StrEnum
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from miniport.cli.acting import ActorOption, acting
from miniport.cli.context import platform_database
from miniport.cli.output import JsonOption, Output, Payload, record, rows
from miniport.common.clock import utcnow
from miniport.common.db import unit_of_work
from miniport.platform.registry import admin, partner_webhooks
from miniport.platform.registry.errors import InvalidRegistration
from miniport.platform.registry.models import Brand, HostApp
from miniport.platform.webhooks.delivery import (
    DeliveryNotFound,
    DeliveryState,
    DeliveryView,
    WebhookWorker,
    list_deliveries,
    resend_event,
)
from miniport.platform.webhooks.models import WebhookDelivery
from miniport.platform.webhooks.signing import SECRET_PREFIX

webhooks_app = typer.Typer(
    help="Partner webhooks: signed notices of port and grant changes, retried for up to 24 h.",
    no_args_is_help=True,
)

DELIVERY_COLUMNS = (
    "id",
    "event_id",
    "event_type",
    "partner_kind",
    "partner_id",
    "state",
    "attempts",
    "next_attempt_at",
    "last_status",
)

HostOption = Annotated[
    str | None, typer.Option("--host", help="The host app: its client_id or slug.")
]
BrandOption = Annotated[
    str | None, typer.Option("--brand", help="The brand: its slug or numeric id.")
]


class StateFilter(StrEnum):
    PENDING = DeliveryState.PENDING.value
    DELIVERED = DeliveryState.DELIVERED.value
    FAILED = DeliveryState.FAILED.value


def _delivery(row: WebhookDelivery, event_type: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "event_id": row.event_id,
        "event_type": event_type,
        "partner_kind": row.partner_kind,
        "partner_id": row.partner_id,
        "url": row.url,
        "state": row.state,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_status": row.last_status,
        "last_error": row.last_error,
        "delivered_at": row.delivered_at,
    }


def _view(view: DeliveryView) -> dict[str, Any]:
    return _delivery(view.delivery, view.event_type) | {"event_created_at": view.event_created_at}


@webhooks_app.command("run")
def webhooks_run(
    poll_seconds: Annotated[
        float | None,
        typer.Option(
            help="Seconds between looks for due deliveries "
            "(default: MINIPORT_PLATFORM_WEBHOOK_POLL_SECONDS, else 1).",
            min=0.01,
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Send what is due now, print how many, and exit.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Run a webhook delivery worker in the foreground until Ctrl-C or SIGTERM.

    Several workers (and platform servers with delivery on) may run at once: each attempt is
    claimed by exactly one of them. Set MINIPORT_PLATFORM_WEBHOOK_DELIVERY_ENABLED=false on
    the servers to leave the sending to these workers alone.
    """
    out = Output(json_output)
    with out.reported(), platform_database() as db:
        with db.sessions() as session:
            cipher = db.data_cipher(session)
        worker = WebhookWorker(
            db.sessions,
            cipher=cipher,
            poll_seconds=poll_seconds or db.settings.webhook_poll_seconds,
        )
        if once:
            attempted = worker.run_once()
            out.emit(
                {"attempted": attempted},
                lambda console: console.print(f"Attempted {attempted} deliveries."),
            )
            return

        def stop(_signum: int, _frame: FrameType | None) -> None:
            worker.stop()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if not json_output:
                out.console.print(
                    f"Delivering webhooks every {worker.poll_seconds:g} s; Ctrl-C stops."
                )
            worker.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    out.emit({"stopped": True}, lambda console: console.print("Stopped."))


@webhooks_app.command("list")
def webhooks_list(
    state: Annotated[
        StateFilter | None, typer.Option(help="Only deliveries in this state.")
    ] = None,
    event: Annotated[str | None, typer.Option(help="Only the deliveries of this event id.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.", min=1)] = 50,
    json_output: JsonOption = False,
) -> None:
    """List webhook deliveries, newest event first."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, db.sessions() as session:
        items: list[Payload] = [
            _view(view)
            for view in list_deliveries(
                session,
                state=DeliveryState(state.value) if state else None,
                event_id=event,
                limit=limit,
            )
        ]
    out.emit(
        {"deliveries": items},
        lambda console: rows(console, "Webhook deliveries", items, DELIVERY_COLUMNS),
    )


@webhooks_app.command("resend")
def webhooks_resend(
    event_id: Annotated[str, typer.Argument(help="The event id (evt_…), as `list` shows it.")],
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Send an event again to every partner it went to, under the same webhook-id.

    Receivers that already have it recognise the id and ignore the copy.
    """
    out = Output(json_output)
    event_id = event_id.strip()
    with out.reported(), platform_database() as db:
        try:
            with unit_of_work(db.sessions) as session:
                items: list[Payload] = [
                    {
                        "id": row.id,
                        "partner_kind": row.partner_kind,
                        "partner_id": row.partner_id,
                        "url": row.url,
                        "state": row.state,
                        "next_attempt_at": row.next_attempt_at,
                    }
                    for row in resend_event(
                        session, event_id, utcnow(), actor=acting(session, actor)
                    )
                ]
        except DeliveryNotFound as error:
            out.fail(str(error))
    out.emit(
        {"event_id": event_id, "deliveries": items},
        lambda console: rows(
            console, f"Queued again: {event_id}", items, ("id", "partner_kind", "url")
        ),
    )


def _partner(session: Session, host: str | None, brand: str | None) -> HostApp | Brand:
    if (host is None) == (brand is None):
        raise InvalidRegistration("name exactly one partner: --host or --brand", field="partner")
    if host is not None:
        return admin.get_host_app(session, host)
    assert brand is not None
    return admin.get_brand(session, brand)


def _partner_payload(partner: HostApp | Brand) -> dict[str, Any]:
    if isinstance(partner, HostApp):
        return {"partner_kind": "host", "partner_id": partner.client_id}
    return {"partner_kind": "brand", "partner_id": str(partner.id)}


def record_with_webhook_secret(console: Console, title: str, payload: Payload) -> None:
    record(console, title, payload, hide=("webhook_secret",))
    if payload.get("webhook_secret"):
        webhook_secret_notice(console, payload["webhook_secret"])


def webhook_secret_notice(console: Console, value: str) -> None:
    """Show a freshly generated webhook signing secret, saying it will not be shown again."""
    console.print("[bold yellow]webhook signing secret (shown once):[/]")
    console.print(value, soft_wrap=True, highlight=False, markup=False)
    console.print(
        f"[yellow]Give it to the partner's webhook receiver ({SECRET_PREFIX}… is the Standard "
        "Webhooks format). It is not shown again; if it is lost, run "
        "`miniport webhooks rotate-secret`.[/]"
    )


@webhooks_app.command("set-url")
def webhooks_set_url(
    url: Annotated[str, typer.Argument(help='The http(s) URL that receives events; "" removes.')],
    host: HostOption = None,
    brand: BrandOption = None,
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Set where a host app or brand receives webhooks.

    The first time a URL is set, prints the new signing secret (shown once). Events not yet
    delivered follow the new URL; removing the URL gives them up.
    """
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        who = acting(session, actor)
        partner = _partner(session, host, brand)
        new_secret = partner_webhooks.set_webhook_url(
            session, partner, url, cipher=db.data_cipher(session), actor=who
        )
        payload: dict[str, Any] = _partner_payload(partner) | {"webhook_url": partner.webhook_url}
        if new_secret is not None:
            payload["webhook_secret"] = new_secret
    out.emit(
        payload, lambda console: record_with_webhook_secret(console, "Webhook URL set", payload)
    )


@webhooks_app.command("rotate-secret")
def webhooks_rotate_secret(
    host: HostOption = None,
    brand: BrandOption = None,
    actor: ActorOption = None,
    json_output: JsonOption = False,
) -> None:
    """Replace a partner's webhook signing secret; every later attempt is signed with it."""
    out = Output(json_output)
    with out.reported(), platform_database() as db, unit_of_work(db.sessions) as session:
        who = acting(session, actor)
        partner = _partner(session, host, brand)
        payload: dict[str, Any] = _partner_payload(partner) | {
            "webhook_secret": partner_webhooks.rotate_webhook_secret(
                session, partner, cipher=db.data_cipher(session), actor=who
            )
        }
    out.emit(
        payload,
        lambda console: record_with_webhook_secret(console, "Webhook secret rotated", payload),
    )
