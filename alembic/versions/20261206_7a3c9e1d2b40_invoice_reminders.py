"""payments: invoice reminders sent (each reminder of an invoice goes once)

Revision ID: 7a3c9e1d2b40
Revises: 9d2c5f7a1b3e
Create Date: 2026-12-06 07:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7a3c9e1d2b40"
down_revision = "9d2c5f7a1b3e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoice.id"],
            name=op.f("fk_invoice_reminder_invoice_id_invoice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_reminder")),
        sa.UniqueConstraint("invoice_id", "days", name=op.f("uq_invoice_reminder_invoice_days")),
    )
    with op.batch_alter_table("invoice_reminder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_reminder_invoice_id"), ["invoice_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("invoice_reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_reminder_invoice_id"))
    op.drop_table("invoice_reminder")
