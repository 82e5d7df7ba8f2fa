"""The shop's declarative base; every shop table hangs off this metadata."""

from __future__ import annotations

from sqlalchemy import MetaData

from miniport.common.db import ModelBase, new_metadata


class ShopBase(ModelBase):
    __abstract__ = True
    metadata = new_metadata()


def all_models() -> MetaData:
    """Import every model module so the metadata is complete (Alembic, tests)."""
    from miniport.shop.appointments import models as _appointments  # noqa: F401
    from miniport.shop.boutiques import models as _boutiques  # noqa: F401
    from miniport.shop.cart import models as _cart  # noqa: F401
    from miniport.shop.catalog import models as _catalog  # noqa: F401
    from miniport.shop.customers import models as _customers  # noqa: F401
    from miniport.shop.guides import models as _guides  # noqa: F401
    from miniport.shop.orders import models as _orders  # noqa: F401
    from miniport.shop.payments import models as _payments  # noqa: F401
    from miniport.shop.sessions import models as _sessions  # noqa: F401

    return ShopBase.metadata
