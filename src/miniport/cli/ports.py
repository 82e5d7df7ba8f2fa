"""``miniport port``: operators open, close, stage and audit ports, and suspend host apps.

Every change names the operator who makes it (``--operator USERNAME``, a user holding the
operator role); it is recorded in the port's history with the reason given. Changes are
announced on the change bus after they commit, so running servers on PostgreSQL or Redis
enforce them at once.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.cli.output import JsonOption, Output, Payload, record, rows
from miniport.cli.port_context import (
    CategoryOption,
    CloseCategory,
    HostArgument,
    OperatorOption,
    PortIdArgument,
    ReasonOption,
    VersionOption,
    changing,
    operator,
    quota_value,
    reading,
    required,
    trial_end,
)
from miniport.common.clock import utcnow
from miniport.common.db import unit_of_work
from miniport.platform.ports import api, lifecycle
from miniport.platform.ports.jobs import expire_due_ports
from miniport.platform.ports.lifecycle import Reason
from miniport.platform.ports.models import Port
from miniport.platform.ports.states import PortPolicy, PortState, ReasonCategory
from miniport.platform.registry import admin

port_app = typer.Typer(
    help=(
        "Ports: which host app may run which mini program. Changes need --operator USERNAME "
        "(a user with the operator role) and are recorded with their reason."
    ),
    no_args_is_help=True,
)

PORT_COLUMNS = ("id", "client_id", "appid", "state", "rollout", "trial_ends_at", "last_reason")
HISTORY_COLUMNS = ("at", "from_state", "to_state", "actor", "reason_category", "reason")


def _port_view(session: Session, port: Port) -> dict[str, Any]:
    """The port without its history: its last transition only, not every one."""
    return api.port_views(session, [port], for_partner=False)[0]


def _summary(view: Payload) -> dict[str, Any]:
    last = view.get("last_transition") or {}
    return {
        "id": view["id"],
        "client_id": view["client_id"],
        "appid": view["appid"],
        "state": view["state"] + (" (host suspended)" if view["host_suspended"] else ""),
        "rollout": f"{view['staging']['rollout_percent']}%",
        "trial_ends_at": view["staging"]["trial_ends_at"],
        "last_reason": last.get("reason"),
    }


def _show_port(console: Console, title: str, view: Payload) -> None:
    record(console, title, {k: v for k, v in view.items() if k not in ("history", "staging")})
    record(console, "Staging", view["staging"])


def _history_rows(view: Payload) -> list[dict[str, Any]]:
    return [
        {**entry, "actor": f"{entry['actor']['kind']}:{entry['actor'].get('id', '')}"}
        for entry in view["history"]
    ]


def _emit_port(out: Output, title: str, view: Payload) -> None:
    out.emit(view, lambda console: _show_port(console, title, view))


# --- reading -------------------------------------------------------------------------------


@port_app.command("list")
def port_list(
    host: Annotated[
        str | None, typer.Option(help="Only this host app (client_id or slug).")
    ] = None,
    appid: Annotated[str | None, typer.Option(help="Only this mini program.")] = None,
    state: Annotated[PortState | None, typer.Option(help="Only ports in this state.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List ports, newest first."""
    out = Output(json_output)
    with reading(out) as session:
        query = select(Port).order_by(Port.id.desc())
        if host is not None:
            query = query.where(Port.client_id == admin.get_host_app(session, host).client_id)
        if appid is not None:
            query = query.where(Port.appid == admin.get_mini_program(session, appid).appid)
        if state is not None:
            query = query.where(Port.state == state.value)
        views = api.port_views(session, list(session.scalars(query)), for_partner=False)
    table = [_summary(view) for view in views]
    out.emit({"ports": views}, lambda console: rows(console, "Ports", table, PORT_COLUMNS))


@port_app.command("show")
def port_show(port_id: PortIdArgument, json_output: JsonOption = False) -> None:
    """Show one port: its state, staging, version and last transition."""
    out = Output(json_output)
    with reading(out) as session:
        view = _port_view(session, lifecycle.get_port(session, port_id))
    _emit_port(out, f"Port {port_id}", view)


@port_app.command("history")
def port_history(port_id: PortIdArgument, json_output: JsonOption = False) -> None:
    """Every transition of one port, oldest first: who, when, why."""
    out = Output(json_output)
    with reading(out) as session:
        view = api.port_detail(session, lifecycle.get_port(session, port_id), for_partner=False)
    payload = {"port_id": port_id, "history": view["history"]}
    out.emit(
        payload,
        lambda console: rows(
            console, f"History of port {port_id}", _history_rows(view), HISTORY_COLUMNS
        ),
    )


# --- changing ------------------------------------------------------------------------------


@port_app.command("apply")
def port_apply(
    host: Annotated[str, typer.Option(help="The host app applying: client_id or slug.")],
    appid: Annotated[str, typer.Option(help="The mini program it wants to run.")],
    reason: ReasonOption,
    operator_name: OperatorOption,
    json_output: JsonOption = False,
) -> None:
    """Apply for a port on a host app's behalf (the brand's policy may answer at once)."""
    out = Output(json_output)
    with changing(out) as db, unit_of_work(db.sessions) as session:
        actor = operator(session, operator_name)
        port = lifecycle.apply_for_port(
            session,
            client_id=admin.get_host_app(session, host).client_id,
            appid=admin.get_mini_program(session, appid).appid,
            reason_text=required(reason, "--reason"),
            actor=actor,
            now=utcnow(),
        )
        view = _changed_view(session, port)
    _emit_port(out, "Port requested", view)


def _move(
    move: lifecycle.PortMove,
    port_id: int,
    *,
    operator_name: str,
    category: ReasonCategory,
    reason: str,
    expected_version: int | None,
    title: str,
    json_output: bool,
) -> None:
    """Move one port as an operator and show it (approve, reject, close, reopen)."""
    out = Output(json_output)
    with changing(out) as db, unit_of_work(db.sessions) as session:
        port = move(
            session,
            port_id,
            actor=operator(session, operator_name),
            reason=Reason(category, required(reason, "--reason")),
            now=utcnow(),
            expected_version=expected_version,
        )
        view = _changed_view(session, port)
    _emit_port(out, title, view)


@port_app.command("approve")
def port_approve(
    port_id: PortIdArgument,
    operator_name: OperatorOption,
    reason: ReasonOption = "approved by the platform",
    expected_version: VersionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Open a requested port."""
    _move(
        lifecycle.approve,
        port_id,
        operator_name=operator_name,
        category=ReasonCategory.REQUEST,
        reason=reason,
        expected_version=expected_version,
        title="Port opened",
        json_output=json_output,
    )


@port_app.command("reject")
def port_reject(
    port_id: PortIdArgument,
    operator_name: OperatorOption,
    reason: ReasonOption,
    expected_version: VersionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Refuse a requested port."""
    _move(
        lifecycle.reject,
        port_id,
        operator_name=operator_name,
        category=ReasonCategory.REQUEST,
        reason=reason,
        expected_version=expected_version,
        title="Port rejected",
        json_output=json_output,
    )


@port_app.command("close")
def port_close(
    port_id: PortIdArgument,
    operator_name: OperatorOption,
    reason: ReasonOption,
    category: CategoryOption = CloseCategory.POLICY,
    expected_version: VersionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Close an open port now: launches stop, run tickets and launch codes are revoked."""
    _move(
        lifecycle.close,
        port_id,
        operator_name=operator_name,
        category=ReasonCategory(category.value),
        reason=reason,
        expected_version=expected_version,
        title="Port closed",
        json_output=json_output,
    )


@port_app.command("reopen")
def port_reopen(
    port_id: PortIdArgument,
    operator_name: OperatorOption,
    reason: ReasonOption,
    expected_version: VersionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Open a closed or expired port again (an ended trial is cleared)."""
    _move(
        lifecycle.reopen,
        port_id,
        operator_name=operator_name,
        category=ReasonCategory.OTHER,
        reason=reason,
        expected_version=expected_version,
        title="Port reopened",
        json_output=json_output,
    )


@port_app.command("stage")
def port_stage(
    port_id: PortIdArgument,
    operator_name: OperatorOption,
    rollout: Annotated[
        int | None, typer.Option(help="Percent of users let in (0-100), stable per user.")
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(help="A host user key always let in; repeat. Replaces the list."),
    ] = None,
    clear_allow_list: Annotated[
        bool, typer.Option("--clear-allow-list", help="Remove every allow-listed user.")
    ] = False,
    trial_ends_at: Annotated[
        str | None,
        typer.Option(help="When the trial ends (ISO 8601 with zone), or none for no end."),
    ] = None,
    quota: Annotated[
        str | None, typer.Option(help="Launches allowed per UTC day, or none for no limit.")
    ] = None,
    expected_version: VersionOption = None,
    json_output: JsonOption = False,
) -> None:
    """Stage an open port; options left out keep their current values."""
    out = Output(json_output)
    with changing(out) as db, unit_of_work(db.sessions) as session:
        actor = operator(session, operator_name)
        port = lifecycle.get_port(session, port_id)
        allow_list = list(port.allow_list or ())
        if clear_allow_list:
            allow_list = []
        if allow:
            allow_list = allow
        port = lifecycle.set_staging(
            session,
            port_id,
            actor=actor,
            rollout_percent=port.rollout_percent if rollout is None else rollout,
            allow_list=allow_list,
            trial_ends_at=trial_end(trial_ends_at, port.trial_ends_at),
            daily_launch_quota=quota_value(quota, port.daily_launch_quota),
            now=utcnow(),
            expected_version=expected_version,
        )
        view = _changed_view(session, port)
    _emit_port(out, "Port staged", view)


@port_app.command("policy")
def port_policy(
    appid: Annotated[str, typer.Argument(help="The mini program.")],
    policy: Annotated[
        PortPolicy, typer.Argument(help="review, auto_approve or auto_refuse new requests.")
    ],
    operator_name: OperatorOption,
    json_output: JsonOption = False,
) -> None:
    """Set how a mini program answers new port requests (normally the brand's choice)."""
    out = Output(json_output)
    with changing(out) as db, unit_of_work(db.sessions) as session:
        found = admin.get_mini_program(session, appid)
        lifecycle.set_policy(
            session,
            appid=found.appid,
            policy=policy,
            actor=operator(session, operator_name),
            now=utcnow(),
        )
        payload = {"appid": found.appid, "policy": policy.value}
    out.emit(payload, lambda console: record(console, "Port policy set", payload))


def _host_payload(session: Session, client_id: str) -> dict[str, Any]:
    listing = api.host_ports(session, client_id, state=None)
    return {
        "client_id": client_id,
        "host_suspended": listing["host_suspended"],
        "ports": [view["id"] for view in listing["ports"]],
    }


@port_app.command("suspend-host")
def port_suspend_host(
    host: HostArgument,
    operator_name: OperatorOption,
    reason: ReasonOption,
    category: CategoryOption = CloseCategory.POLICY,
    json_output: JsonOption = False,
) -> None:
    """Suspend a host app: every port of it refuses at once, whatever its state."""
    out = Output(json_output)
    with changing(out) as db, unit_of_work(db.sessions) as session:
        client_id = admin.get_host_app(session, host).client_id
        lifecycle.suspend_host(
            session,
            client_id=client_id,
            actor=operator(session, operator_name),
            reason=Reason(ReasonCategory(category.value), required(reason, "--reason")),
            now=utcnow(),
        )
        payload = _host_payload(session, client_id)
    out.emit(payload, lambda console: record(console, "Host app suspended", payload))


@port_app.command("resume-host")
def port_resume_host(
    host: HostArgument,
    operator_name: OperatorOption,
    reason: ReasonOption,
    json_output: JsonOption = False,
) -> None:
    """Lift a host app's suspension; its ports answer by their own state again."""
    out = Output(json_output)
    with changing(out) as db, unit_of_work(db.sessions) as session:
        client_id = admin.get_host_app(session, host).client_id
        lifecycle.resume_host(
            session,
            client_id=client_id,
            actor=operator(session, operator_name),
            reason=Reason(ReasonCategory.OTHER, required(reason, "--reason")),
            now=utcnow(),
        )
        payload = _host_payload(session, client_id)
    out.emit(payload, lambda console: record(console, "Host app resumed", payload))


@port_app.command("expire-due")
def port_expire_due(json_output: JsonOption = False) -> None:
    """Expire every open port whose trial has ended (what each server does every second)."""
    out = Output(json_output)
    with changing(out) as db:
        expired = expire_due_ports(db.sessions, db.sessions, now=utcnow())
    payload = {"expired": expired}
    out.emit(
        payload,
        lambda console: console.print(
            f"Expired {len(expired)} port(s)" + (f": {expired}" if expired else ".")
        ),
    )


def _changed_view(session: Session, port: Port) -> dict[str, Any]:
    """The port as the command left it, read inside its transaction."""
    session.flush()
    return _port_view(session, port)
