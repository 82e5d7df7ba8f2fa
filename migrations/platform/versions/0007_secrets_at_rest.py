"""encrypt signing keys' private JWKs and partner webhook secrets at rest

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00.000000

No schema change: existing plain values are sealed with the at-rest cipher (and opened
again on downgrade). The cipher comes from ``miniport db upgrade platform``, which builds it
from the platform's settings; it is only needed when there are values to convert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import context, op

from miniport.platform.atrest.cipher import AtRestKeyError, DataCipher, sealed_key_id
from miniport.platform.atrest.columns import private_jwk_context, webhook_secret_context

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables as this revision knows them, not as the models may describe them later.
_signing_keys = sa.table("signing_keys", sa.column("kid", sa.String), sa.column("private_jwk"))
_brands = sa.table("brands", sa.column("id", sa.Integer), sa.column("webhook_secret"))
_host_apps = sa.table("host_apps", sa.column("client_id", sa.String), sa.column("webhook_secret"))

# (table, row key, sealed column, what a value in that row is bound to)
_SEALED: list[tuple[sa.TableClause, str, str, Callable[[object], str]]] = [
    (_signing_keys, "kid", "private_jwk", lambda kid: private_jwk_context(str(kid))),
    (_brands, "id", "webhook_secret", lambda id_: webhook_secret_context("brand", str(id_))),
    (
        _host_apps,
        "client_id",
        "webhook_secret",
        lambda client_id: webhook_secret_context("host", str(client_id)),
    ),
]


def _cipher() -> DataCipher:
    cipher = context.config.attributes.get("data_cipher")
    if not isinstance(cipher, DataCipher):
        raise AtRestKeyError(
            "the platform database holds signing keys or webhook secrets to convert, which "
            "needs the at-rest key: run `miniport db upgrade platform` (it reads "
            "MINIPORT_PLATFORM_DATA_KEY, or the key generated into the data directory); "
            "Alembic run by hand needs it as the config attribute data_cipher"
        )
    return cipher


def _rewrite(convert: Callable[[str, str], str | None]) -> None:
    """Replace every stored value ``convert`` answers for (``None``: leave it)."""
    bind = op.get_bind()
    for table, key, column, context_of in _SEALED:
        rows = bind.execute(
            sa.select(table.c[key], table.c[column]).where(table.c[column].is_not(None))
        ).all()
        for row_key, stored in rows:
            replaced = convert(stored, context_of(row_key))
            if replaced is not None:
                bind.execute(
                    sa.update(table).where(table.c[key] == row_key).values({column: replaced})
                )


def upgrade() -> None:
    def seal(stored: str, bound_to: str) -> str | None:
        if sealed_key_id(stored) is not None:
            return None
        return _cipher().seal(stored, context=bound_to)

    _rewrite(seal)


def downgrade() -> None:
    def unseal(stored: str, bound_to: str) -> str | None:
        if sealed_key_id(stored) is None:
            return None
        return _cipher().open(stored, context=bound_to)

    _rewrite(unseal)
