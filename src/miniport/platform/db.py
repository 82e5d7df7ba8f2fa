"""The platform's declarative base; every platform table hangs off this metadata."""

from __future__ import annotations

from sqlalchemy import MetaData

from miniport.common.db import ModelBase, new_metadata


class PlatformBase(ModelBase):
    __abstract__ = True
    metadata = new_metadata()


def all_models() -> MetaData:
    """Import every model module so the metadata is complete (Alembic, tests)."""
    from miniport.platform.accounts import models as _accounts  # noqa: F401
    from miniport.platform.audit import models as _audit  # noqa: F401
    from miniport.platform.consent import models as _consent  # noqa: F401
    from miniport.platform.keys import models as _keys  # noqa: F401
    from miniport.platform.miniprogram_api import models as _miniprogram_api  # noqa: F401
    from miniport.platform.oauth import models as _oauth  # noqa: F401
    from miniport.platform.ports import models as _ports  # noqa: F401
    from miniport.platform.registry import models as _registry  # noqa: F401
    from miniport.platform.webhooks import models as _webhooks  # noqa: F401

    return PlatformBase.metadata
