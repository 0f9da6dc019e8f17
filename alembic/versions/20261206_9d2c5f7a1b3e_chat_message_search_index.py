"""chat: full-text search index on chat_message.text (PostgreSQL)

A GIN index on ``to_tsvector('simple'::regconfig, text)``: the expression message search
(``?q=``) filters on (``thebot.chat.models.message_tsvector``). SQLite searches with LIKE
and gets no index.

Revision ID: 9d2c5f7a1b3e
Revises: 5b8e1f3a9c72
Create Date: 2026-12-06 06:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9d2c5f7a1b3e"
down_revision = "5b8e1f3a9c72"
branch_labels = None
depends_on = None

INDEX = "ix_chat_message_text_fts"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        INDEX,
        "chat_message",
        [sa.text("to_tsvector('simple'::regconfig, text)")],
        postgresql_using="gin",
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="chat_message")
