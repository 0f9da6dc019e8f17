"""backups catalog and change log

The capture triggers that fill ``backup_change`` are not created here: they depend on the
tables that exist at run time, so ``thebot.backups.engine.capture.ensure_capture`` installs and
refreshes them before every backup and after a restore. The downgrade removes them.

Revision ID: d7b0c0a1e001
Revises: c67ab335cbd9
Create Date: 2026-11-28 19:31:25.705209
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'd7b0c0a1e001'
down_revision = "c67ab335cbd9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_backup_change()
    create_backup_record()


def create_backup_change() -> None:
    op.create_table('backup_change',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('table_name', sa.String(length=128), nullable=False),
    sa.Column('op', sa.String(length=1), nullable=False),
    sa.Column('pk', sa.Text(), nullable=True),
    sa.Column('txid', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_backup_change')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('backup_change', schema=None) as batch_op:
        batch_op.create_index('ix_backup_change_table_seq', ['table_name', 'seq'], unique=False)
        batch_op.create_index('ix_backup_change_table_txid', ['table_name', 'txid'], unique=False)


def create_backup_record() -> None:
    op.create_table('backup_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('extendable', sa.Boolean(), nullable=False),
    sa.Column('path', sa.String(length=1024), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('checksum', sa.String(length=64), nullable=True),
    sa.Column('format_version', sa.Integer(), nullable=True),
    sa.Column('app_version', sa.String(length=32), nullable=True),
    sa.Column('alembic_revision', sa.String(length=64), nullable=True),
    sa.Column('change_point', sa.Text(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('verify_status', sa.String(length=16), nullable=True),
    sa.Column('verify_progress', sa.Integer(), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verify_error', sa.Text(), nullable=True),
    sa.Column('verify_details', sa.JSON(), nullable=False),
    sa.Column('restore_status', sa.String(length=16), nullable=True),
    sa.Column('restore_progress', sa.Integer(), nullable=False),
    sa.Column('restored_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('restore_error', sa.Text(), nullable=True),
    sa.Column('restore_details', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("origin IN ('manual', 'scheduled', 'safety', 'imported')", name=op.f('ck_backup_record_origin_valid')),
    sa.CheckConstraint("status IN ('pending', 'running', 'completed', 'failed')", name=op.f('ck_backup_record_status_valid')),
    sa.CheckConstraint("type IN ('full', 'incremental')", name=op.f('ck_backup_record_type_valid')),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name=op.f('ck_backup_record_progress_range')),
    sa.ForeignKeyConstraint(['parent_id'], ['backup_record.id'], name=op.f('fk_backup_record_parent_id_backup_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backup_record')),
    sa.UniqueConstraint('uuid', name=op.f('uq_backup_record_uuid'))
    )
    with op.batch_alter_table('backup_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backup_record_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_backup_record_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_backup_record_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_backup_record_type'), ['type'], unique=False)


def drop_capture_triggers() -> None:
    """Triggers writing to backup_change must go with it (they would fail every write)."""
    from alembic import context

    if context.is_offline_mode():
        return
    bind = op.get_bind()
    pattern = {"pattern": "bkc\\_%"}
    if bind.dialect.name == "sqlite":
        names = bind.execute(
            sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE :pattern ESCAPE '\\'"
            ),
            pattern,
        ).scalars().all()
        for name in names:
            op.execute(f'DROP TRIGGER IF EXISTS "{name}"')
    elif bind.dialect.name == "postgresql":
        names = bind.execute(
            sa.text(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND p.proname LIKE :pattern"
            ),
            pattern,
        ).scalars().all()
        for name in names:
            op.execute(f'DROP FUNCTION IF EXISTS "{name}"() CASCADE')


def downgrade() -> None:
    drop_capture_triggers()
    drop_backup_record()
    drop_backup_change()


def drop_backup_record() -> None:
    with op.batch_alter_table('backup_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_backup_record_type'))
        batch_op.drop_index(batch_op.f('ix_backup_record_status'))
        batch_op.drop_index(batch_op.f('ix_backup_record_parent_id'))
        batch_op.drop_index(batch_op.f('ix_backup_record_created_at'))

    op.drop_table('backup_record')


def drop_backup_change() -> None:
    with op.batch_alter_table('backup_change', schema=None) as batch_op:
        batch_op.drop_index('ix_backup_change_table_txid')
        batch_op.drop_index('ix_backup_change_table_seq')

    op.drop_table('backup_change')
