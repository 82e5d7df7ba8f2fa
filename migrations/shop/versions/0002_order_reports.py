"""orders: when the platform acknowledged their report

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 12:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import miniport.common.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column(
                "platform_reported_at",
                miniport.common.db.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("platform_report_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("platform_report_error")
        batch.drop_column("platform_reported_at")
