"""Writing webhook events into the outbox, in the same transaction as the change.

Because the event rows commit or roll back with the change itself, a crash can never leave
a change without its event or an event without its change; the delivery worker sends what
is committed, at least once, and receivers deduplicate on the event id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from miniport.common.tokens import new_secret
from miniport.platform.identifiers import IdentifierDeriver
from miniport.platform.registry.models import Brand, HostApp, MiniProgram
from miniport.platform.webhooks.models import WebhookDelivery, WebhookEvent

EVENT_TYPES = frozenset(
    {
        "port.requested",
        "port.opened",
        "port.rejected",
        "port.withdrawn",
        "port.closed",
        "port.expired",
        "port.staged",
        "host.suspended",
        "host.resumed",
        "grant.revoked",
    }
)


def enqueue(
    session: Session,
    *,
    event_type: str,
    data: dict[str, Any],
    hosts: list[HostApp],
    brands: list[Brand],
    now: dt.datetime,
) -> str:
    """Record one event and a pending delivery to each partner that has a webhook URL."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type}")
    event_id = "evt_" + new_secret(18)
    session.add(
        WebhookEvent(
            id=event_id,
            type=event_type,
            payload={"type": event_type, "timestamp": now.isoformat(), "data": data},
            created_at=now,
        )
    )
    session.flush()
    targets: list[tuple[str, str, str | None]] = [
        ("host", host.client_id, host.webhook_url) for host in hosts
    ] + [("brand", str(brand.id), brand.webhook_url) for brand in brands]
    for kind, partner_id, url in targets:
        if url:
            session.add(
                WebhookDelivery(
                    event_id=event_id,
                    partner_kind=kind,
                    partner_id=partner_id,
                    url=url,
                    state="pending",
                    next_attempt_at=now,
                )
            )
    return event_id


def enqueue_grant_revoked(
    session: Session,
    *,
    identifiers: IdentifierDeriver,
    user_id: int,
    client_id: str,
    appids: list[str],
    now: dt.datetime,
) -> list[str]:
    """``grant.revoked``: one event to the host, and one to each brand whose mini programs
    the grant covered. Returns the event ids.

    Each party gets only the identifiers it already holds for the user: the host its
    pairwise ``sub``, a brand its ``openid`` per mini program and its ``unionid``. Sending
    one payload to all would hand a brand the host's ``sub`` (and the host the brand's ids),
    letting them join their users on it, which pairwise identifiers exist to prevent. The
    platform's own user id never leaves the platform.
    """
    host = session.get(HostApp, client_id)
    if host is None:
        return []
    reason = {"category": "user_revoked", "text": "the user revoked this app's authorization"}
    actor = {"kind": "user"}
    event_ids = [
        enqueue(
            session,
            event_type="grant.revoked",
            data={
                "client_id": client_id,
                "sub": identifiers.host_subject(user_id=user_id, client_id=client_id),
                "appids": appids,
                "reason": reason,
                "actor": actor,
            },
            hosts=[host],
            brands=[],
            now=now,
        )
    ]
    mini_programs = list(
        session.scalars(
            select(MiniProgram).where(MiniProgram.appid.in_(appids)).order_by(MiniProgram.appid)
        )
    )
    for brand_id in sorted({mp.brand_id for mp in mini_programs}):
        brand = session.get(Brand, brand_id)
        assert brand is not None  # a foreign key guarantees it
        event_ids.append(
            enqueue(
                session,
                event_type="grant.revoked",
                data={
                    "client_id": client_id,
                    "brand_id": brand_id,
                    "unionid": identifiers.unionid(user_id=user_id, brand_id=brand_id),
                    "mini_programs": [
                        {
                            "appid": mp.appid,
                            "openid": identifiers.openid(user_id=user_id, appid=mp.appid),
                        }
                        for mp in mini_programs
                        if mp.brand_id == brand_id
                    ],
                    "reason": reason,
                    "actor": actor,
                },
                hosts=[],
                brands=[brand],
                now=now,
            )
        )
    return event_ids


def retarget_pending(
    session: Session, *, partner_kind: str, partner_id: str, url: str | None
) -> int:
    """Point a partner's undelivered events at its new webhook URL; returns how many.

    Without this, events queued before the change would keep going to the old address for
    up to a day of retries. With the URL removed, they are given up on.
    """
    query = update(WebhookDelivery).where(
        WebhookDelivery.partner_kind == partner_kind,
        WebhookDelivery.partner_id == partner_id,
        WebhookDelivery.state == "pending",
    )
    if url is None:
        query = query.values(state="failed", last_error="the partner removed its webhook URL")
    else:
        query = query.values(url=url)
    result = session.execute(query.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0))
