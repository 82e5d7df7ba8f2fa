"""The host app's declarative base; every host table hangs off this metadata."""

from __future__ import annotations

from sqlalchemy import MetaData

from miniport.common.db import ModelBase, new_metadata


class HostBase(ModelBase):
    __abstract__ = True
    metadata = new_metadata()


def all_models() -> MetaData:
    """Import every model module so the metadata is complete (Alembic, tests)."""
    from miniport.host.accounts import models as _accounts  # noqa: F401
    from miniport.host.brand_accounts import models as _brand_accounts  # noqa: F401
    from miniport.host.container import models as _container  # noqa: F401
    from miniport.host.mini_program_cards import models as _cards  # noqa: F401
    from miniport.host.notes import models as _notes  # noqa: F401
    from miniport.host.search import models as _search  # noqa: F401

    return HostBase.metadata
