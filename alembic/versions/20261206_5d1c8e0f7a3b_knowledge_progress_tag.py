"""knowledge: a progress tag on each graph

``knowledge_graph`` gains ``progress_tag``: a random value replaced in every transaction
that changes the graph's nodes or lesson progress (``thebot.knowledge.models``). The class
overview caches each student's row under the graph's id and serves it only while the tag
it was computed at is still the graph's. Existing graphs start at 0 (their first change
gives them a random tag; nothing is cached for them yet).

Revision ID: 5d1c8e0f7a3b
Revises: b6d41e8a2f57
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5d1c8e0f7a3b"
down_revision = "b6d41e8a2f57"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("knowledge_graph", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("progress_tag", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("knowledge_graph", schema=None) as batch_op:
        batch_op.drop_column("progress_tag")
