"""materials: index-only lookups of an author's and of subjects' live material ids

``ix_material_live_author_id`` (``author_id, id``) and ``ix_material_live_subject_id``
(``subject_id, id``), both partial on ``deleted_at IS NULL``: the teacher dashboard's
submissions waiting for review are those on a live material the teacher wrote or whose
subject they teach, and PostgreSQL now reads those material ids from the two indexes
instead of visiting every such material's row (issue 18).

Revision ID: a3f9c1d7e5b2
Revises: e18a4c7b9d2f
Create Date: 2026-12-06 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a3f9c1d7e5b2"
down_revision = "e18a4c7b9d2f"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")
COLUMNS = ("author_id", "subject_id")


def upgrade() -> None:
    with op.batch_alter_table("material", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.create_index(
                f"ix_material_live_{column}",
                [column, "id"],
                unique=False,
                postgresql_where=LIVE,
                sqlite_where=LIVE,
            )


def downgrade() -> None:
    with op.batch_alter_table("material", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_material_live_{column}")
