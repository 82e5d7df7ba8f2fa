"""In-store appointments."""

from miniport.shop.appointments.appointments import (
    BOOKING_DAYS,
    AppointmentError,
    Booking,
    Purpose,
    SlotUnavailable,
    UnknownBoutique,
    all_appointments,
    appointments_of,
    book,
    booking_days,
)
from miniport.shop.appointments.models import Appointment

__all__ = [
    "BOOKING_DAYS",
    "Appointment",
    "AppointmentError",
    "Booking",
    "Purpose",
    "SlotUnavailable",
    "UnknownBoutique",
    "all_appointments",
    "appointments_of",
    "book",
    "booking_days",
]
