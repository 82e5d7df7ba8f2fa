"""Small readers shared by the console tests: ports by appid, audit entries, form posts."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from miniport.platform.audit.chain import verify
from miniport.platform.audit.models import AuditEntry
from miniport.platform.ports.models import Port
from miniport.platform.runtime import PlatformRuntime
from tests.support.html_forms import form_with, submit


def port_of(runtime: PlatformRuntime, client_id: str, appid: str) -> Port:
    with runtime.sessions() as session:
        port = session.scalar(select(Port).where(Port.client_id == client_id, Port.appid == appid))
        assert port is not None
        return port


def audit_actions(runtime: PlatformRuntime) -> list[tuple[str, str, str | None]]:
    """(action, target, acting person) of every entry, oldest first; the chain must verify."""
    with runtime.sessions() as session:
        result = verify(session)
        assert result.ok, result.describe()
        return [
            (e.action, f"{e.target_kind}:{e.target_id}", e.actor_user)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
        ]


def post_form(
    client: httpx.Client, page_path: str, field: str, values: dict[str, str]
) -> httpx.Response:
    """Open ``page_path`` and submit its first form having ``field``, as a browser would."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text[:1000]
    return submit(client, page, form_with(page.text, field), values)


def csrf_of(client: httpx.Client, page_path: str) -> str:
    page = client.get(page_path)
    return form_with(page.text, "csrf_token").fields["csrf_token"]
