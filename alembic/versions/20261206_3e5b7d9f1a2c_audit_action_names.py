"""audit: action names follow <area>.<verb> (backup.requested, not backup_requested)

Renames the recorded actions of existing rows; a data migration, no schema change.

Revision ID: 3e5b7d9f1a2c
Revises: f287ded13141
Create Date: 2026-12-06 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3e5b7d9f1a2c"
down_revision = "f287ded13141"
branch_labels = None
depends_on = None

# Every action name recorded before the scheme, and its name now.
RENAMED = {
    "account_created": "account.created",
    "account_deactivated": "account.deactivated",
    "account_updated": "account.updated",
    "protected_field_denied": "account.protected_field_denied",
    "pairing_code_created": "pairing_code.created",
    "pairing_code_redeemed": "pairing_code.redeemed",
    "parent_link_created": "parent_link.created",
    "parent_link_removed": "parent_link.removed",
    "rate_limited": "auth.rate_limited",
    "assignment_created": "assignment.created",
    "assignment_deleted": "assignment.deleted",
    "assignment_published": "assignment.published",
    "assignment_closed": "assignment.closed",
    "assignment_cloned": "assignment.cloned",
    "assignment_updated": "assignment.updated",
    "report_sent": "report.sent",
    "submission_graded": "submission.graded",
    "submission_returned": "submission.returned",
    "submission_reviewed": "submission.reviewed",
    "extension_granted": "extension.granted",
    "extension_changed": "extension.changed",
    "extension_revoked": "extension.revoked",
    "backup_restored": "backup.restored",
    "backup_created": "backup.created",
    "backup_failed": "backup.failed",
    "backup_verified": "backup.verified",
    "backup_restore_failed": "backup.restore_failed",
    "backups_pruned": "backup.pruned",
    "backup_requested": "backup.requested",
    "backup_verify_requested": "backup.verify_requested",
    "backup_restore_requested": "backup.restore_requested",
    "subject_created": "subject.created",
    "subject_deleted": "subject.deleted",
    "subject_updated": "subject.updated",
    "subject_teacher_assigned": "subject.teacher_assigned",
    "subject_teacher_removed": "subject.teacher_removed",
    "enrollment_created": "enrollment.created",
    "enrollment_status_changed": "enrollment.status_changed",
    "enrollment_updated": "enrollment.updated",
    "chat_message_sent": "chat_message.sent",
    "chat_room_created": "chat_room.created",
    "chat_room_updated": "chat_room.updated",
    "chat_room_archived": "chat_room.archived",
    "chat_room_left": "chat_room.left",
    "chat_member_added": "chat_member.added",
    "chat_member_removed": "chat_member.removed",
    "comment_deleted": "comment.deleted",
    "comment_flagged": "comment.flagged",
    "comment_unflagged": "comment.unflagged",
    "material_created": "material.created",
    "material_deleted": "material.deleted",
    "material_file_uploaded": "material.file_uploaded",
    "material_updated": "material.updated",
    "material_assigned": "material.assigned",
    "avatar_changed": "avatar.changed",
    "avatar_removed": "avatar.removed",
    "invoice_created": "invoice.created",
    "invoice_updated": "invoice.updated",
    "payment_refund_requested": "payment.refund_requested",
    "price_created": "price.created",
    "calendar_token_issued": "calendar_token.issued",
    "calendar_token_revoked": "calendar_token.revoked",
    "lesson_enrollment_override": "lesson.enrollment_override",
    "series_enrollment_override": "series.enrollment_override",
    "payment_created": "payment.created",
    "payment_waiting_for_capture": "payment.waiting_for_capture",
    "payment_succeeded": "payment.succeeded",
    "payment_canceled": "payment.canceled",
    "payment_flagged": "payment.flagged",
    "refund_succeeded": "refund.succeeded",
    "invoice_changed": "invoice.changed",
    "invoice_reminder_due": "invoice.reminder_due",
    "subscription_changed": "subscription.changed",
}

audit_event = sa.table("audit_event", sa.column("action", sa.String(64)))


def _rename(pairs: dict[str, str]) -> None:
    for old, new in pairs.items():
        op.execute(audit_event.update().where(audit_event.c.action == old).values(action=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
