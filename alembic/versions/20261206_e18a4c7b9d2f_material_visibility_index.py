"""materials: the list order index carries the visibility columns

``ix_material_created_at`` (``created_at``) becomes ``ix_material_created_at_visibility``
(``created_at, id, deleted_at, status, is_public, author_id, subject_id``): a materials list
walks it newest first and tests each material's visibility (deleted, status, public, author,
subject) on the index entry, reading only the rows it returns (issue 18). It still serves
anything else ordered or filtered by ``created_at``.

Revision ID: e18a4c7b9d2f
Revises: 5d1c8e0f7a3b
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

from alembic import op

revision = "e18a4c7b9d2f"
down_revision = "5d1c8e0f7a3b"
branch_labels = None
depends_on = None

COLUMNS = ["created_at", "id", "deleted_at", "status", "is_public", "author_id", "subject_id"]


def upgrade() -> None:
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.create_index("ix_material_created_at_visibility", COLUMNS, unique=False)
        batch_op.drop_index(batch_op.f("ix_material_created_at"))


def downgrade() -> None:
    with op.batch_alter_table("material", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_material_created_at"), ["created_at"], unique=False)
        batch_op.drop_index("ix_material_created_at_visibility")
