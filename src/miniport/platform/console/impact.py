"""The impact preview shown before a close: what the close will cut off, counted now.

Orders are those the mini programs reported (``/wxa/report_order``) and the platform
attributed to this host; a brand that reports nothing shows 0, which the page explains.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniport.platform.consent.models import ConsentGrant, ConsentGrantApp
from miniport.platform.miniprogram_api import orders
from miniport.platform.miniprogram_api.models import LaunchCode
from miniport.platform.oauth.models import IssuedToken, IssuedTokenApp


@dataclass(frozen=True, slots=True)
class Impact:
    live_tickets: int
    launches_24h: int
    consenting_users: int
    orders_7d: int


def impact_of(session: Session, *, client_id: str, appid: str | None, now: dt.datetime) -> Impact:
    """For one port (``appid`` given) or for every port of a host (``appid`` None)."""
    tickets = (
        select(func.count(func.distinct(IssuedToken.digest)))
        .join(IssuedTokenApp, IssuedTokenApp.digest == IssuedToken.digest)
        .where(
            IssuedTokenApp.client_id == client_id,
            IssuedToken.kind == "access",
            IssuedToken.revoked_at.is_(None),
            IssuedToken.expires_at > now,
        )
    )
    launches = (
        select(func.count())
        .select_from(LaunchCode)
        .where(
            LaunchCode.client_id == client_id, LaunchCode.created_at >= now - dt.timedelta(hours=24)
        )
    )
    users = (
        select(func.count(func.distinct(ConsentGrant.user_id)))
        .join(ConsentGrantApp, ConsentGrantApp.grant_id == ConsentGrant.id)
        .where(ConsentGrant.client_id == client_id, ConsentGrant.revoked_at.is_(None))
    )
    if appid is not None:
        tickets = tickets.where(IssuedTokenApp.appid == appid)
        launches = launches.where(LaunchCode.appid == appid)
        users = users.where(ConsentGrantApp.appid == appid)
    return Impact(
        live_tickets=int(session.scalar(tickets) or 0),
        launches_24h=int(session.scalar(launches) or 0),
        consenting_users=int(session.scalar(users) or 0),
        orders_7d=orders.orders_since(
            session, client_id=client_id, appid=appid, since=now - dt.timedelta(days=7)
        ),
    )
