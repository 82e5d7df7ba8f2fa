"""Changes brands and hosts make to their own registration, each written to the audit log.

The console's view of the registry: these take the rows a console page already scoped to its
brand or host. Changes the registry has itself (secrets: ``registry.admin``; webhooks:
``registry.partner_webhooks``) are called there directly, so the CLI making the same change
writes the same audit entry; the rest record theirs here. Secrets are never put in the audit
log, only their fingerprints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.common.db import mark_changed
from miniport.common.i18n import N_
from miniport.platform.audit.changes import record_change
from miniport.platform.console.staff import NotFound
from miniport.platform.ports.states import Actor
from miniport.platform.registry.distinct_names import check_distinct_names
from miniport.platform.registry.models import HostApp, MiniProgram
from miniport.platform.registry.rules import (
    clean_image_url,
    clean_name,
    clean_page_paths,
    clean_redirect_uris,
    clean_web_url,
)
from miniport.platform.webhooks.delivery import resend
from miniport.platform.webhooks.models import WebhookDelivery, WebhookEvent


def brand_mini_program(session: Session, brand_id: int, appid: str) -> MiniProgram:
    mini_program = session.get(MiniProgram, appid)
    if mini_program is None or mini_program.brand_id != brand_id:
        raise NotFound(N_("There is no such mini program."))
    return mini_program


def _mp_fields(mp: MiniProgram) -> dict[str, Any]:
    return {
        "name_zh": mp.name_zh,
        "name_en": mp.name_en,
        "icon_url": mp.icon_url,
        "entry_url": mp.entry_url,
        "allowed_paths": list(mp.allowed_paths),
    }


def update_mini_program(
    session: Session,
    mini_program: MiniProgram,
    *,
    name_zh: str,
    name_en: str,
    icon_url: str,
    entry_url: str,
    allowed_paths: Sequence[str],
    actor: Actor,
    now: dt.datetime,
) -> MiniProgram:
    """Raises ``RegistryError`` (``InvalidRegistration``) for a value the registry refuses."""
    before = _mp_fields(mini_program)
    mini_program.name_zh = clean_name(name_zh, "name_zh")
    mini_program.name_en = clean_name(name_en, "name_en")
    check_distinct_names(session, mini_program)
    mini_program.icon_url = clean_image_url(icon_url, "icon URL")
    mini_program.entry_url = clean_web_url(entry_url, "entry URL")
    mini_program.allowed_paths = clean_page_paths(allowed_paths)
    session.flush()
    # Launch checks read entry URLs and allowed paths from a per-worker cache.
    mark_changed(session, "registry")
    after = _mp_fields(mini_program)
    if after != before:
        record_change(
            session,
            actor,
            "mini_program.updated",
            target=("mini_program", mini_program.appid),
            at=now,
            before=before,
            after=after,
        )
    return mini_program


def host_app(session: Session, client_id: str) -> HostApp:
    host = session.get(HostApp, client_id)
    if host is None:
        raise NotFound(N_("There is no such host app."))
    return host


def set_redirect_uris(
    session: Session, host: HostApp, uris: Sequence[str], *, actor: Actor, now: dt.datetime
) -> None:
    before = list(host.redirect_uris)
    host.redirect_uris = clean_redirect_uris(uris)
    session.flush()
    # The authorize endpoint reads redirect URIs from a per-worker cache of host apps.
    mark_changed(session, "registry")
    if before != host.redirect_uris:
        record_change(
            session,
            actor,
            "host.redirect_uris_changed",
            target=("host", host.client_id),
            at=now,
            before={"redirect_uris": before},
            after={"redirect_uris": list(host.redirect_uris)},
        )


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    delivery: WebhookDelivery
    event_type: str
    event_created_at: dt.datetime


def deliveries(
    session: Session, *, partner_kind: str | None, partner_id: str | None, limit: int = 100
) -> list[DeliveryRow]:
    """The newest deliveries first: of one partner, or (operators) of everyone."""
    query = (
        select(WebhookDelivery, WebhookEvent.type, WebhookEvent.created_at)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if partner_kind is not None and partner_id is not None:
        query = query.where(
            WebhookDelivery.partner_kind == partner_kind, WebhookDelivery.partner_id == partner_id
        )
    return [DeliveryRow(d, t, c) for d, t, c in session.execute(query)]


def resend_delivery(
    session: Session,
    delivery_id: int,
    *,
    partner_kind: str | None,
    partner_id: str | None,
    actor: Actor,
    now: dt.datetime,
) -> WebhookDelivery:
    """Queue a delivery again (``webhooks.delivery.resend``), if it is this partner's."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or (
        partner_kind is not None
        and (delivery.partner_kind != partner_kind or delivery.partner_id != partner_id)
    ):
        raise NotFound(N_("There is no such webhook delivery."))
    return resend(session, delivery_id, now, actor=actor)
