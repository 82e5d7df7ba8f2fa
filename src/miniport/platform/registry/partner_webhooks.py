"""Where a host app or brand receives its webhooks, and the secret they are signed with.

The signing secret (``whsec_…``) is the one credential the platform keeps usable rather than
as a digest: every delivery is an HMAC with it (``webhooks.signing``). It is stored sealed by
the at-rest cipher (``atrest.columns``), handed to people only when it is generated or
rotated, and the audit log records only its fingerprint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from miniport.common.clock import utcnow
from miniport.platform.atrest.cipher import DataCipher
from miniport.platform.atrest.columns import store_webhook_secret, webhook_secret
from miniport.platform.audit.changes import fingerprint, record_change
from miniport.platform.ports.states import Actor
from miniport.platform.registry.models import Brand, HostApp
from miniport.platform.registry.rules import clean_optional_web_url
from miniport.platform.webhooks.outbox import retarget_pending
from miniport.platform.webhooks.signing import new_webhook_secret


def partner_target(partner: HostApp | Brand) -> tuple[str, str]:
    """How the webhook outbox and the audit log name a partner: (kind, id)."""
    if isinstance(partner, HostApp):
        return "host", partner.client_id
    return "brand", str(partner.id)


def rotate_webhook_secret(
    session: Session,
    partner: HostApp | Brand,
    *,
    cipher: DataCipher,
    actor: Actor,
    now: dt.datetime | None = None,
) -> str:
    """Replace a host app's or brand's webhook signing secret; returns the new one, once.

    Takes effect at once: the next delivery attempt, including retries of older events, is
    signed with the new secret, so the partner should switch its receiver right away.
    """
    old = webhook_secret(cipher, partner)
    before = fingerprint(old) if old else None
    secret = new_webhook_secret()
    store_webhook_secret(cipher, partner, secret)
    session.flush()
    target = partner_target(partner)
    record_change(
        session,
        actor,
        f"{target[0]}.webhook_secret_rotated",
        target=target,
        at=now or utcnow(),
        before={"webhook_secret": before},
        after={"webhook_secret": fingerprint(secret)},
    )
    return secret


def set_webhook_url(
    session: Session,
    partner: HostApp | Brand,
    url: str | None,
    *,
    cipher: DataCipher,
    actor: Actor,
    now: dt.datetime | None = None,
) -> str | None:
    """Set (or, with ``None`` or "", remove) where a partner receives its webhooks.

    Returns a newly generated signing secret when the partner had none (its URL is set for
    the first time), else ``None``: changing the URL keeps the secret the receiver already
    has. Events not yet delivered follow the new URL, or are given up on when it is removed.
    Only an actual change is audited.
    """
    before = partner.webhook_url
    partner.webhook_url = clean_optional_web_url(url, "webhook URL")
    secret: str | None = None
    if partner.webhook_url is not None and not partner.webhook_secret:
        secret = new_webhook_secret()
        store_webhook_secret(cipher, partner, secret)
    kind, partner_id = partner_target(partner)
    retarget_pending(session, partner_kind=kind, partner_id=partner_id, url=partner.webhook_url)
    session.flush()
    if before != partner.webhook_url:
        after: dict[str, Any] = {"webhook_url": partner.webhook_url}
        if secret is not None:
            after["webhook_secret"] = fingerprint(secret)
        record_change(
            session,
            actor,
            f"{kind}.webhook_url_changed",
            target=(kind, partner_id),
            at=now or utcnow(),
            before={"webhook_url": before},
            after=after,
        )
    return secret
