"""Customers of the store, keyed by the platform's openid."""

from miniport.shop.customers.customers import upsert_customer
from miniport.shop.customers.models import Customer

__all__ = ["Customer", "upsert_customer"]
