"""knowledge: a progress tag on each graph

``knowledge_graph`` gains ``progress_tag``: a random value replaced in every transaction
that changes the graph's nodes or lesson progress (``thebot.knowledge.models``). The class
overview caches each student's row under the graph's id and serves it only while the tag
it was computed at is still the graph's. Existing graphs get a random tag each (not a
shared 0: a backup taken before this revision and restored later must not meet rows cached
under the tag of another state).

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

# A random non-negative 62-bit value per row, evaluated row by row.
RANDOM_TAGS = {
    "sqlite": "UPDATE knowledge_graph SET progress_tag = abs(random() % 4611686018427387904)",
    "postgresql": (
        "UPDATE knowledge_graph SET progress_tag = floor(random() * 4611686018427387903)::bigint"
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("knowledge_graph", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("progress_tag", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(sa.text(RANDOM_TAGS[op.get_bind().dialect.name]))


def downgrade() -> None:
    with op.batch_alter_table("knowledge_graph", schema=None) as batch_op:
        batch_op.drop_column("progress_tag")
