"""The student dashboard's sections: ``subjects`` (active enrollments with their teachers),
``materials`` (totals and the newest assigned, with progress) and ``feedback`` (the latest
on their submissions). Statements built once per role; the viewer's id is a parameter."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import aliased

from thebot.accounts.models import Role
from thebot.accounts.users.service import BRIEF_FIELDS
from thebot.catalog.models import Subject
from thebot.catalog.subjects import SUBJECT_BRIEF_FIELDS
from thebot.dashboards.registry import (
    FEEDBACK_LIMIT,
    ITEMS_LIMIT,
    MATERIAL_BRIEF_FIELDS,
    VIEWER,
    DashboardContext,
    Teacher,
    as_int,
    enrollments_statement,
    subject_entry,
    viewer_params,
)
from thebot.db.rows import Layout
from thebot.materials.models import (
    Material,
    MaterialAssignment,
    MaterialProgress,
    MaterialSubmission,
    SubmissionFeedback,
)
from thebot.materials.visibility import visible_to_role
from thebot.schemas import iso


def student_subjects(ctx: DashboardContext) -> list[dict[str, Any]]:
    """The student's active subjects and their teachers."""
    if not ctx.user.is_active:
        return []
    rows = ctx.rows(enrollments_statement(ctx.user.role, False), viewer_params(ctx))
    return [subject_entry(row) for row in rows]


# The visibility clause has its own EXISTS over material_assignment: an alias keeps it from
# correlating with ours.
ASSIGNED = aliased(MaterialAssignment, name="assigned")
STUDENT_MATERIAL = Layout(
    material=(Material, MATERIAL_BRIEF_FIELDS),
    subject=(Subject, SUBJECT_BRIEF_FIELDS),
    progress=(
        MaterialProgress,
        ("id", "percentage", "is_completed", "completed_at", "time_spent_seconds"),
    ),
)


def assigned_to_viewer(stmt: Select, role: str) -> Select:
    """``stmt`` over the materials assigned to the viewer that they may see, with progress."""
    progress_on = and_(
        MaterialProgress.material_id == Material.id, MaterialProgress.student_id == VIEWER
    )
    return (
        stmt.select_from(ASSIGNED)
        .join(Material, Material.id == ASSIGNED.material_id)
        .outerjoin(MaterialProgress, progress_on)
        .where(ASSIGNED.student_id == VIEWER, visible_to_role(role, VIEWER))
    )


@functools.cache
def student_materials_statement(role: str) -> Select:
    """The newest ``ITEMS_LIMIT`` materials assigned to the viewer, each row with the totals
    over all of them (window aggregates, computed before the limit): one query."""
    completed = MaterialProgress.is_completed.is_(True)
    started = and_(MaterialProgress.id.is_not(None), MaterialProgress.is_completed.is_(False))
    items = select(
        *STUDENT_MATERIAL.columns,
        MaterialProgress.last_accessed_at,
        ASSIGNED.created_at.label("assigned_at"),
        func.count().over().label("total"),
        func.sum(case((completed, 1), else_=0)).over().label("done"),
        func.sum(case((started, 1), else_=0)).over().label("in_progress"),
        func.avg(func.coalesce(MaterialProgress.percentage, 0)).over().label("average"),
    )
    return (
        assigned_to_viewer(items, role)
        .join(Subject, Subject.id == Material.subject_id)
        .order_by(ASSIGNED.created_at.desc(), Material.id.desc())
        .limit(ITEMS_LIMIT)
    )


def student_materials(ctx: DashboardContext) -> dict[str, Any]:
    """Materials assigned to the student (the newest first) with their progress, and totals."""
    if not ctx.user.is_active:
        return {"summary": totals_summary(0, 0, 0, 0), "items": []}
    rows = ctx.rows(student_materials_statement(ctx.user.role), viewer_params(ctx)).all()
    summary = (
        totals_summary(rows[0].total, rows[0].done, rows[0].in_progress, rows[0].average)
        if rows
        else totals_summary(0, 0, 0, 0)
    )
    return {
        "summary": summary,
        "items": [
            {
                **STUDENT_MATERIAL.joined(row, "material"),
                "subject": STUDENT_MATERIAL.part(row, "subject"),
                "assigned_at": iso(row.assigned_at),
                "progress": progress_entry(STUDENT_MATERIAL.values(row, "progress"), row),
            }
            for row in rows
        ],
    }


def totals_summary(total: Any, done: Any, in_progress: Any, average: Any) -> dict[str, int]:
    total, done, in_progress = total or 0, as_int(done), as_int(in_progress)
    return {
        "assigned": total,
        "completed": done,
        "in_progress": in_progress,
        "not_started": total - done - in_progress,
        "average_percentage": as_int(average),
    }


def progress_entry(values: tuple[Any, ...], row: Any) -> dict[str, Any] | None:
    progress_id, percentage, is_completed, completed_at, seconds = values
    if progress_id is None:
        return None
    return {
        "percentage": percentage,
        "is_completed": is_completed,
        "completed_at": iso(completed_at),
        "time_spent_seconds": seconds,
        "last_accessed_at": iso(row.last_accessed_at),
    }


FEEDBACK = Layout(material=(Material, MATERIAL_BRIEF_FIELDS), teacher=(Teacher, BRIEF_FIELDS))


@functools.cache
def feedback_statement(role: str) -> Select:
    return (
        select(
            *FEEDBACK.columns,
            SubmissionFeedback.id,
            SubmissionFeedback.submission_id,
            SubmissionFeedback.grade,
            SubmissionFeedback.text,
            SubmissionFeedback.status,
            SubmissionFeedback.created_at,
        )
        .select_from(SubmissionFeedback)
        .join(MaterialSubmission, MaterialSubmission.id == SubmissionFeedback.submission_id)
        .join(Material, Material.id == MaterialSubmission.material_id)
        .outerjoin(Teacher, Teacher.id == SubmissionFeedback.teacher_id)
        .where(MaterialSubmission.student_id == VIEWER, visible_to_role(role, VIEWER))
        .order_by(SubmissionFeedback.created_at.desc(), SubmissionFeedback.id.desc())
        .limit(FEEDBACK_LIMIT)
    )


def student_feedback(ctx: DashboardContext) -> list[dict[str, Any]]:
    """The latest feedback on the student's submissions (materials they may still see)."""
    if not ctx.user.is_active:
        return []
    rows = ctx.rows(feedback_statement(ctx.user.role), viewer_params(ctx))
    return [
        {
            "id": row.id,
            "submission_id": row.submission_id,
            "material": FEEDBACK.part(row, "material"),
            "teacher": FEEDBACK.part(row, "teacher"),
            "grade": row.grade,
            "text": row.text,
            "status": row.status,
            "created_at": iso(row.created_at),
        }
        for row in rows
    ]


def includeme(config: Any) -> None:
    config.add_dashboard_section(Role.STUDENT.value, "subjects", student_subjects, order=10)
    config.add_dashboard_section(Role.STUDENT.value, "materials", student_materials, order=20)
    config.add_dashboard_section(Role.STUDENT.value, "feedback", student_feedback, order=30)
