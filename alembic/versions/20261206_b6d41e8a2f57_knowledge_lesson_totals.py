"""knowledge: lesson totals stored on the lesson

``knowledge_lesson`` gains ``element_count``, ``required_count``, ``estimated_minutes``
and ``max_score`` (the sum over required elements), kept by ``thebot.knowledge.totals``
where a lesson's elements change; graph reads and class overviews join them instead of
aggregating the lesson elements per read. Existing lessons are backfilled from their
elements.

Revision ID: b6d41e8a2f57
Revises: 3e5b7d9f1a2c
Create Date: 2026-12-06 09:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b6d41e8a2f57"
down_revision = "3e5b7d9f1a2c"
branch_labels = None
depends_on = None

COLUMNS = ("element_count", "required_count", "estimated_minutes", "max_score")

# Each total from the lesson's elements (correlated subqueries: SQLite and PostgreSQL).
BACKFILL = """
UPDATE knowledge_lesson SET
  element_count = (
    SELECT count(*) FROM knowledge_lesson_element AS le
    WHERE le.lesson_id = knowledge_lesson.id),
  required_count = (
    SELECT count(*) FROM knowledge_lesson_element AS le
    WHERE le.lesson_id = knowledge_lesson.id AND le.required),
  estimated_minutes = (
    SELECT coalesce(sum(e.estimated_minutes), 0)
    FROM knowledge_lesson_element AS le JOIN knowledge_element AS e ON e.id = le.element_id
    WHERE le.lesson_id = knowledge_lesson.id),
  max_score = (
    SELECT coalesce(sum(e.max_score), 0)
    FROM knowledge_lesson_element AS le JOIN knowledge_element AS e ON e.id = le.element_id
    WHERE le.lesson_id = knowledge_lesson.id AND le.required)
"""


def upgrade() -> None:
    with op.batch_alter_table("knowledge_lesson", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.execute(sa.text(BACKFILL))


def downgrade() -> None:
    with op.batch_alter_table("knowledge_lesson", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
