"""port change journal

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 23:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import miniport.common.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "port_changes",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("appid", sa.String(length=18), nullable=True),
        sa.Column("at", miniport.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_port_changes")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("port_changes")
