"""Payments (simulated)."""

from miniport.shop.payments.models import Payment
from miniport.shop.payments.payments import METHOD, pay, payment_of

__all__ = ["METHOD", "Payment", "pay", "payment_of"]
