"""Shop sessions: a random cookie value, stored only as its digest."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from miniport.common.tokens import digest, new_secret
from miniport.shop.customers.models import Customer
from miniport.shop.sessions.models import ShopSession

# new_secret() values are 43 characters; anything far longer is not ours and is not hashed.
MAX_COOKIE_LENGTH = 128


@dataclass(frozen=True, slots=True)
class CurrentSession:
    """Who the browser is, and where this session entered the store from."""

    customer_id: int
    openid: str
    unionid: str | None
    entry_scene: int | None
    entry_host: str | None
    entry_code_digest: str


def start_session(
    session: Session,
    *,
    customer_id: int,
    code_digest: str,
    entry_scene: int | None,
    entry_host: str | None,
    entry_path: str,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> str:
    """Record a session started by the launch code with ``code_digest``; returns the cookie.

    Always a fresh random value, so a session id planted in the browser beforehand (session
    fixation) never becomes a signed-in session.
    """
    session.execute(
        delete(ShopSession).where(
            ShopSession.customer_id == customer_id, ShopSession.expires_at <= now
        )
    )
    value = new_secret()
    session.add(
        ShopSession(
            digest=digest(value),
            customer_id=customer_id,
            entry_code_digest=code_digest,
            entry_scene=entry_scene,
            entry_host=entry_host,
            entry_path=entry_path[:256],
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return value


def current_session(
    session: Session, cookie_value: str | None, now: dt.datetime
) -> CurrentSession | None:
    """The live session the browser's cookie names, if any."""
    if not cookie_value or len(cookie_value) > MAX_COOKIE_LENGTH:
        return None
    row = session.execute(
        select(ShopSession, Customer)
        .join(Customer, Customer.id == ShopSession.customer_id)
        .where(ShopSession.digest == digest(cookie_value))
    ).first()
    if row is None:
        return None
    shop_session, customer = row
    if shop_session.expires_at <= now:
        return None
    return CurrentSession(
        customer_id=customer.id,
        openid=customer.openid,
        unionid=customer.unionid,
        entry_scene=shop_session.entry_scene,
        entry_host=shop_session.entry_host,
        entry_code_digest=shop_session.entry_code_digest,
    )


def end_session(session: Session, cookie_value: str | None) -> None:
    """Forget a session server-side, so a copied cookie stops working too."""
    if not cookie_value or len(cookie_value) > MAX_COOKIE_LENGTH:
        return
    session.execute(delete(ShopSession).where(ShopSession.digest == digest(cookie_value)))
