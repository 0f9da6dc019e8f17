"""points from progress and grades

``student_profile.points`` now has two shares, summed: progress (1 point per full 10 % of
every progress row, plus 10 per completed material; ``thebot.materials.progress``) and
graded assignments (the counted final scores, rounded half up;
``thebot.assignments.submissions.grading``). Before, grading and progress each wrote their own figure
over the other's, so stored points were whichever came last: recompute every profile once.
The statement is this revision's own copy of the rule (a migration must not change when
the application code does). The downgrade leaves the figures as they are.

Revision ID: e3f1a2b4c5d6
Revises: 1c9f9eae69c9
Create Date: 2026-12-04 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "e3f1a2b4c5d6"
down_revision = "1c9f9eae69c9"
branch_labels = None
depends_on = None

RECOMPUTE = sa.text(
    """
    UPDATE student_profile SET points =
        COALESCE((
            SELECT SUM(p.percentage / 10 + CASE WHEN p.is_completed THEN 10 ELSE 0 END)
            FROM material_progress p
            WHERE p.student_id = student_profile.user_id
        ), 0)
        + COALESCE((
            SELECT ROUND(SUM(g.final_score))
            FROM grade g
            JOIN assignment_submission s ON s.id = g.submission_id
            WHERE s.student_id = student_profile.user_id
              AND s.counts AND s.status = 'graded'
        ), 0)
    """
)


def upgrade() -> None:
    op.execute(RECOMPUTE)


def downgrade() -> None:
    pass
