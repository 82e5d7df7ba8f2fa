"""order reports, and the openid a launch code was exchanged for

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import miniport.common.db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("launch_codes") as batch:
        batch.add_column(sa.Column("openid", sa.String(length=64), nullable=True))
        batch.create_index("ix_launch_codes_appid_openid", ["appid", "openid"], unique=False)
    op.create_table(
        "order_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appid", sa.String(length=18), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid_at", miniport.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reported_at", miniport.common.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("port_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_order_reports_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["appid"],
            ["mini_programs.appid"],
            name=op.f("fk_order_reports_appid_mini_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["host_apps.client_id"],
            name=op.f("fk_order_reports_client_id_host_apps"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["port_id"],
            ["ports.id"],
            name=op.f("fk_order_reports_port_id_ports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_reports")),
        sa.UniqueConstraint("appid", "order_id", name=op.f("uq_order_reports_appid")),
    )
    op.create_index(
        "ix_order_reports_host_paid",
        "order_reports",
        ["client_id", "appid", "paid_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_order_reports_host_paid", table_name="order_reports")
    op.drop_table("order_reports")
    with op.batch_alter_table("launch_codes") as batch:
        batch.drop_index("ix_launch_codes_appid_openid")
        batch.drop_column("openid")
