"""Boutiques and their opening hours, in China Standard Time (UTC+8, no daylight saving)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.shop.boutiques.models import Boutique

# Fixed offset rather than a tz database name: China has kept UTC+8 all year since 1991,
# and this keeps the shop free of a tzdata dependency.
CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
_SLUG = re.compile(r"[a-z0-9-]{1,32}")
_HOUR = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def list_boutiques(session: Session) -> list[Boutique]:
    return list(session.scalars(select(Boutique).order_by(Boutique.position, Boutique.id)))


def get_boutique(session: Session, key: int | str) -> Boutique | None:
    """A boutique by id or slug."""
    if isinstance(key, int):
        return session.get(Boutique, key) if 0 < key <= 2_147_483_647 else None
    if not _SLUG.fullmatch(key):
        return None
    return session.scalars(select(Boutique).where(Boutique.slug == key)).first()


def parse_hour(value: str) -> dt.time:
    if not _HOUR.fullmatch(value):
        raise ValueError(f"{value!r} is not HH:MM")
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def opening_slots(boutique: Boutique, *, minutes: int = 60) -> list[dt.time]:
    """Appointment start times: every ``minutes`` from opening until an hour before closing."""
    opens, closes = parse_hour(boutique.opens_at), parse_hour(boutique.closes_at)
    day = dt.date(2000, 1, 1)
    cursor = dt.datetime.combine(day, opens)
    last = dt.datetime.combine(day, closes) - dt.timedelta(minutes=minutes)
    slots = []
    while cursor <= last:
        slots.append(cursor.time())
        cursor += dt.timedelta(minutes=minutes)
    return slots


def local_now(now: dt.datetime) -> dt.datetime:
    return now.astimezone(CHINA_TIME)
