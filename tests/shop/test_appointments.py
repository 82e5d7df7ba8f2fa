"""Booking a boutique visit: offered days and slots only, one booking per time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from miniport.common.clock import utcnow
from miniport.shop.appointments import (
    BOOKING_DAYS,
    Purpose,
    SlotUnavailable,
    UnknownBoutique,
    appointments_of,
    book,
    booking_days,
)
from miniport.shop.boutiques import CHINA_TIME, get_boutique, opening_slots
from miniport.shop.customers import upsert_customer
from tests.shop.conftest import Shopper

# 2026-03-02 01:30 UTC is 09:30 in Shanghai.
NOW = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)


def test_days_are_tomorrow_onwards_in_china_time() -> None:
    days = booking_days(NOW)
    assert days[0] == dt.date(2026, 3, 3) and len(days) == BOOKING_DAYS
    late = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)  # already 01:00 on the 3rd locally
    assert booking_days(late)[0] == dt.date(2026, 3, 4)


def test_slots_follow_opening_hours(shop_sessions: sessionmaker[Session]) -> None:
    with shop_sessions() as session:
        boutique = get_boutique(session, "shanghai-plaza66")
        assert boutique is not None
        slots = opening_slots(boutique)
    assert slots[0] == dt.time(10, 0) and slots[-1] == dt.time(21, 0) and len(slots) == 12


def test_booking_stores_utc_and_a_repeat_is_the_same_booking(
    shop_sessions: sessionmaker[Session],
) -> None:
    with shop_sessions() as session:
        customer = upsert_customer(session, openid="o-b", unionid=None, now=NOW).id

        def booked() -> int:
            return book(
                session,
                customer_id=customer,
                boutique_id=1,
                day=dt.date(2026, 3, 5),
                time=dt.time(14, 0),
                purpose=Purpose.VIEWING,
                note="  Jackie 1961  ",
                guide_id=None,
                now=NOW,
            ).id

        first, second = booked(), booked()
        assert first == second
        [booking] = appointments_of(session, customer)
        assert booking.appointment.starts_at == dt.datetime(2026, 3, 5, 6, 0, tzinfo=dt.UTC)
        assert booking.appointment.starts_at.astimezone(CHINA_TIME).hour == 14
        assert booking.appointment.note == "Jackie 1961"


@pytest.mark.parametrize(
    ("day", "time"),
    [
        (dt.date(2026, 3, 2), dt.time(14, 0)),  # today
        (dt.date(2026, 3, 30), dt.time(14, 0)),  # beyond two weeks
        (dt.date(2026, 3, 5), dt.time(9, 0)),  # before opening
        (dt.date(2026, 3, 5), dt.time(21, 30)),  # not a slot
    ],
)
def test_times_not_offered_are_refused(
    shop_sessions: sessionmaker[Session], day: dt.date, time: dt.time
) -> None:
    with shop_sessions() as session:
        customer = upsert_customer(session, openid="o-b", unionid=None, now=NOW).id
        with pytest.raises(SlotUnavailable):
            book(
                session,
                customer_id=customer,
                boutique_id=1,
                day=day,
                time=time,
                purpose=Purpose.VIEWING,
                note="",
                guide_id=None,
                now=NOW,
            )
        with pytest.raises(UnknownBoutique):
            book(
                session,
                customer_id=customer,
                boutique_id=99,
                day=dt.date(2026, 3, 5),
                time=dt.time(14, 0),
                purpose=Purpose.VIEWING,
                note="",
                guide_id=None,
                now=NOW,
            )


def test_booking_in_the_store(entered: Shopper) -> None:
    page = entered.get("/appointments/new?boutique=2")
    assert page.status_code == 200
    day = booking_days(utcnow())[2].isoformat()

    booked = entered.post(
        "/appointments", page, boutique_id="2", day=day, time="15:00", purpose="pickup", note=""
    )

    assert booked.status_code == 303
    me = entered.get(booked.headers["location"])
    assert 'data-testid="booked"' in me.text and "北京SKP精品店" in me.text
    refused = entered.post(
        "/appointments", page, boutique_id="2", day=day, time="07:00", purpose="pickup", note=""
    )
    assert refused.status_code == 409  # well formed, but not a slot the page offered
