"""transactional outbox

``outbox``: task messages written in the transaction that asked for them, relayed to the
broker after the commit (``thebot.tasks.outbox``). ``processed_message``: message ids an actor has
run, so a message relayed twice runs once.

Revision ID: 0e0d6a364472
Revises: e3f1a2b4c5d6
Create Date: 2026-12-06 02:36:46.442727
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0e0d6a364472"
down_revision = "e3f1a2b4c5d6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    op.create_table(
        "processed_message",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_processed_message")),
    )
    op.create_index(
        op.f("ix_processed_message_processed_at"),
        "processed_message",
        ["processed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_message_processed_at"), table_name="processed_message")
    op.drop_table("processed_message")
    op.drop_table("outbox")
