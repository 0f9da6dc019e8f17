"""chat: rooms, members, messages

``chat_room`` (direct rooms unique per ordered pair, subject rooms per subject + teacher),
``chat_member`` (role, mute, read state, digest state), ``chat_message`` (soft delete,
pin, reply). Attachments are ``media_file`` rows owned by ``chat_message``.

Revision ID: c4a7e2d9b1f0
Revises: 0e0d6a364472
Create Date: 2026-12-06 05:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c4a7e2d9b1f0"
down_revision = "0e0d6a364472"
branch_labels = None
depends_on = None


def _user_fk(column: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["user_account.id"],
        name=op.f(f"fk_{table}_{column}_user_account"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "chat_room",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("direct_low_id", sa.Integer(), nullable=True),
        sa.Column("direct_high_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("teacher_id", sa.Integer(), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "type IN ('direct', 'group', 'subject')", name=op.f("ck_chat_room_type_valid")
        ),
        sa.CheckConstraint(
            "direct_low_id IS NULL OR direct_high_id IS NULL OR direct_low_id < direct_high_id",
            name=op.f("ck_chat_room_direct_pair_ordered"),
        ),
        _user_fk("created_by_id", "chat_room", "SET NULL"),
        _user_fk("direct_high_id", "chat_room", "SET NULL"),
        _user_fk("direct_low_id", "chat_room", "SET NULL"),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subject.id"],
            name=op.f("fk_chat_room_subject_id_subject"),
            ondelete="SET NULL",
        ),
        _user_fk("teacher_id", "chat_room", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_room")),
        sa.UniqueConstraint("direct_low_id", "direct_high_id", name="uq_chat_room_direct_pair"),
        sa.UniqueConstraint("subject_id", "teacher_id", name="uq_chat_room_subject_teacher"),
    )
    with op.batch_alter_table("chat_room", schema=None) as batch_op:
        for column in (
            "activity_at",
            "created_by_id",
            "direct_high_id",
            "direct_low_id",
            "subject_id",
            "teacher_id",
            "type",
        ):
            batch_op.create_index(batch_op.f(f"ix_chat_room_{column}"), [column], unique=False)

    op.create_table(
        "chat_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("muted", sa.Boolean(), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("last_read_message_id", sa.Integer(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("digest_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("digest_through_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "role IN ('member', 'moderator')", name=op.f("ck_chat_member_role_valid")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["chat_room.id"],
            name=op.f("fk_chat_member_room_id_chat_room"),
            ondelete="CASCADE",
        ),
        _user_fk("user_id", "chat_member", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_member")),
        sa.UniqueConstraint("room_id", "user_id", name="uq_chat_member_room_user"),
    )
    with op.batch_alter_table("chat_member", schema=None) as batch_op:
        for column in ("left_at", "room_id", "user_id"):
            batch_op.create_index(batch_op.f(f"ix_chat_member_{column}"), [column], unique=False)

    op.create_table(
        "chat_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply_to_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pinned_by_id", sa.Integer(), nullable=True),
        _user_fk("author_id", "chat_message", "SET NULL"),
        _user_fk("pinned_by_id", "chat_message", "SET NULL"),
        sa.ForeignKeyConstraint(
            ["reply_to_id"],
            ["chat_message.id"],
            name=op.f("fk_chat_message_reply_to_id_chat_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["chat_room.id"],
            name=op.f("fk_chat_message_room_id_chat_room"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_message")),
    )
    with op.batch_alter_table("chat_message", schema=None) as batch_op:
        for column in ("author_id", "pinned_by_id", "reply_to_id"):
            batch_op.create_index(batch_op.f(f"ix_chat_message_{column}"), [column], unique=False)
        batch_op.create_index("ix_chat_message_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_chat_message_room_id_id", ["room_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("chat_message")
    op.drop_table("chat_member")
    op.drop_table("chat_room")
