"""Money as integer fen (1/100 yuan). Sums, line totals and order totals are exact ints.

Shown as the stores show it: ``¥19,500`` for whole yuan, ``¥1,350.50`` otherwise.
"""

from __future__ import annotations

CURRENCY = "CNY"


def yuan(cents: int) -> str:
    """``1950000`` → ``¥19,500``; negative amounts keep their sign in front of the ``¥``."""
    sign = "-" if cents < 0 else ""
    whole, fen = divmod(abs(cents), 100)
    text = f"{sign}¥{whole:,}"
    return f"{text}.{fen:02d}" if fen else text


def line_total(unit_price_cents: int, quantity: int) -> int:
    if unit_price_cents < 0 or quantity < 0:
        raise ValueError("prices and quantities are never negative")
    return unit_price_cents * quantity
