"""Booking a visit to a boutique: a day in the next two weeks, a slot within opening hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniport.shop.appointments.models import Appointment
from miniport.shop.boutiques.boutiques import CHINA_TIME, get_boutique, opening_slots
from miniport.shop.boutiques.models import Boutique
from miniport.shop.guides.models import Guide

BOOKING_DAYS = 14
MAX_NOTE_LENGTH = 200


class Purpose(StrEnum):
    VIEWING = "viewing"  # see pieces in person with a guide
    PICKUP = "pickup"  # collect an order reserved at the boutique
    AFTERCARE = "aftercare"  # repairs and care of a piece already owned


class AppointmentError(Exception):
    """A booking that cannot be made as asked."""


class UnknownBoutique(AppointmentError):
    pass


class SlotUnavailable(AppointmentError):
    """Outside the booking window or the boutique's hours, or already past."""


@dataclass(frozen=True, slots=True)
class Booking:
    appointment: Appointment
    boutique: Boutique
    guide: Guide | None


def booking_days(now: dt.datetime) -> list[dt.date]:
    """The days a booking may fall on: tomorrow through ``BOOKING_DAYS`` days ahead (local)."""
    today = now.astimezone(CHINA_TIME).date()
    return [today + dt.timedelta(days=offset) for offset in range(1, BOOKING_DAYS + 1)]


def book(
    session: Session,
    *,
    customer_id: int,
    boutique_id: int,
    day: dt.date,
    time: dt.time,
    purpose: Purpose,
    note: str,
    guide_id: int | None,
    now: dt.datetime,
) -> Appointment:
    """Book a visit (flushed). Booking the same boutique and time again returns that booking."""
    boutique = get_boutique(session, boutique_id)
    if boutique is None:
        raise UnknownBoutique(f"no boutique {boutique_id}")
    if day not in booking_days(now) or time not in opening_slots(boutique):
        raise SlotUnavailable(f"{day} {time} is not bookable at {boutique.slug}")
    starts_at = dt.datetime.combine(day, time, tzinfo=CHINA_TIME).astimezone(dt.UTC)
    existing = session.scalars(
        select(Appointment).where(
            Appointment.customer_id == customer_id,
            Appointment.boutique_id == boutique_id,
            Appointment.starts_at == starts_at,
        )
    ).first()
    if existing is not None:
        return existing
    appointment = Appointment(
        customer_id=customer_id,
        boutique_id=boutique_id,
        guide_id=guide_id,
        starts_at=starts_at,
        purpose=purpose.value,
        note=note.strip()[:MAX_NOTE_LENGTH],
        created_at=now,
    )
    session.add(appointment)
    session.flush()
    return appointment


def appointments_of(session: Session, customer_id: int) -> list[Booking]:
    """A customer's bookings, soonest first."""
    rows = session.execute(
        select(Appointment, Boutique, Guide)
        .join(Boutique, Boutique.id == Appointment.boutique_id)
        .outerjoin(Guide, Guide.id == Appointment.guide_id)
        .where(Appointment.customer_id == customer_id)
        .order_by(Appointment.starts_at)
    ).all()
    return [Booking(appointment=a, boutique=b, guide=g) for a, b, g in rows]


def all_appointments(session: Session, *, limit: int = 200) -> list[Booking]:
    """Every booking, soonest first (the brand's staff page)."""
    rows = session.execute(
        select(Appointment, Boutique, Guide)
        .join(Boutique, Boutique.id == Appointment.boutique_id)
        .outerjoin(Guide, Guide.id == Appointment.guide_id)
        .order_by(Appointment.starts_at)
        .limit(limit)
    ).all()
    return [Booking(appointment=a, boutique=b, guide=g) for a, b, g in rows]
