"""The teacher dashboard's sections: ``subjects`` (taught or with active students, and
those students) and ``pending_submissions`` (waiting for review, the longest-waiting
first). Statements built once; the viewer's id is a parameter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select, union_all

from thebot.accounts.models import Role
from thebot.accounts.users.service import BRIEF_FIELDS
from thebot.catalog.models import Enrollment, Subject
from thebot.catalog.subjects import SUBJECT_BRIEF_FIELDS, subjects_taught_ids
from thebot.dashboards.registry import (
    ACTIVE,
    ENROLLMENT_FIELDS,
    ITEMS_LIMIT,
    MATERIAL_BRIEF_FIELDS,
    VIEWER,
    DashboardContext,
    Student,
    viewer_params,
)
from thebot.db.lists import in_list
from thebot.db.rows import Layout
from thebot.materials.models import Material, MaterialSubmission, SubmissionStatus
from thebot.schemas import iso

TAUGHT = Layout(subject=(Subject, SUBJECT_BRIEF_FIELDS))
TEACHER_STUDENT = Layout(subject=(Subject, SUBJECT_BRIEF_FIELDS), student=(Student, BRIEF_FIELDS))
TAUGHT_IDS = subjects_taught_ids(VIEWER)
TAUGHT_KEY = "taught_subject_ids"  # DashboardContext.shared
TAUGHT_SUBJECTS = select(*TAUGHT.columns).where(Subject.id.in_(TAUGHT_IDS))
TEACHER_STUDENTS = (
    select(*TEACHER_STUDENT.columns, *ENROLLMENT_FIELDS)
    .select_from(Enrollment)
    .join(Subject, Subject.id == Enrollment.subject_id)
    .join(Student, Student.id == Enrollment.student_id)
    .where(Enrollment.teacher_id == VIEWER, Enrollment.status == ACTIVE)
    .order_by(Student.last_name, Student.first_name, Student.id)
)


def teacher_subjects(ctx: DashboardContext) -> list[dict[str, Any]]:
    """Subjects the teacher is assigned to or has active students in, with those students."""
    params = viewer_params(ctx)

    def entry(subject: dict[str, Any], assigned: bool) -> dict[str, Any]:
        return {"subject": subject, "is_assigned": assigned, "students": []}

    entries = {}
    for row in ctx.rows(TAUGHT_SUBJECTS, params):
        subject = TAUGHT.joined(row, "subject")
        entries[subject["id"]] = entry(subject, True)
    ctx.shared[TAUGHT_KEY] = list(entries)  # for pending_submissions: one query fewer
    for row in ctx.rows(TEACHER_STUDENTS, params):
        subject = TEACHER_STUDENT.joined(row, "subject")
        entries.setdefault(subject["id"], entry(subject, False))["students"].append(
            {
                "enrollment_id": row.enrollment_id,
                "student": TEACHER_STUDENT.part(row, "student"),
                "subject_name": row.custom_subject_name or subject["name"],
                "since": iso(row.created_at),
            }
        )
    ordered = sorted(entries.values(), key=lambda e: (e["subject"]["name"], e["subject"]["id"]))
    return [{**e, "student_count": len(e["students"])} for e in ordered]


PENDING = Layout(
    material=(Material, MATERIAL_BRIEF_FIELDS),
    subject=(Subject, SUBJECT_BRIEF_FIELDS),
    student=(Student, BRIEF_FIELDS),
)
# The taught subject ids are read first and bound as a list. The teacher's live materials
# (written by them, or of a subject they teach) are two index-only reads of material ids
# (``ix_material_live_author_id`` / ``_subject_id``), not a visit of each material's row.
TEACHERS_MATERIALS = union_all(
    select(Material.id).where(Material.author_id == VIEWER, Material.deleted_at.is_(None)),
    select(Material.id).where(
        in_list(Material.subject_id, "subject_ids"), Material.deleted_at.is_(None)
    ),
)
WAITING = and_(
    MaterialSubmission.status == SubmissionStatus.SUBMITTED.value,
    MaterialSubmission.material_id.in_(TEACHERS_MATERIALS),
)
# The teacher's waiting submissions, materialised first (PostgreSQL hashes the teacher's
# material ids against the submitted submissions), then counted (a window over all of
# them) and limited to the first ones *before* those are joined to their material, subject
# and student: one statement where a count and a top-20 ran before, and the top-20 no
# longer walks the ``submitted_at`` index through every other teacher's submissions (~2,450
# buffers). Without MATERIALIZED the planner folds the CTE back in and walks that index
# again; joining before the limit looked up every waiting row's material and hashed every
# user.
WAITING_ROWS = (
    select(
        MaterialSubmission.id,
        MaterialSubmission.submitted_at,
        MaterialSubmission.student_id,
        MaterialSubmission.material_id,
    )
    .where(WAITING)
    .cte("waiting")
    .prefix_with("MATERIALIZED")
)
FIRST_WAITING = (
    select(WAITING_ROWS, func.count().over().label("pending_total"))
    .order_by(WAITING_ROWS.c.submitted_at, WAITING_ROWS.c.id)
    .limit(ITEMS_LIMIT)
    .subquery("first_waiting")
)
PENDING_ITEMS = (
    select(
        *PENDING.columns,
        FIRST_WAITING.c.id,
        FIRST_WAITING.c.submitted_at,
        FIRST_WAITING.c.pending_total,
    )
    .select_from(FIRST_WAITING)
    .join(Material, Material.id == FIRST_WAITING.c.material_id)
    .join(Subject, Subject.id == Material.subject_id)
    .join(Student, Student.id == FIRST_WAITING.c.student_id)
    .order_by(FIRST_WAITING.c.submitted_at, FIRST_WAITING.c.id)
)


def pending_submissions(ctx: DashboardContext) -> dict[str, Any]:
    """Submissions waiting for review on materials the teacher wrote or whose subject they
    teach; the longest-waiting first."""
    params = viewer_params(ctx)
    taught = ctx.shared.get(TAUGHT_KEY)
    if taught is None:  # the subjects section is not on this dashboard
        taught = list(ctx.rows(TAUGHT_IDS, params).scalars())
    params["subject_ids"] = taught
    rows = ctx.rows(PENDING_ITEMS, params).all()
    return {
        "count": rows[0].pending_total if rows else 0,
        "items": [
            {
                "id": row.id,
                "material": PENDING.part(row, "material"),
                "subject": PENDING.part(row, "subject"),
                "student": PENDING.part(row, "student"),
                "submitted_at": iso(row.submitted_at),
            }
            for row in rows
        ],
    }


def includeme(config: Any) -> None:
    config.add_dashboard_section(Role.TEACHER.value, "subjects", teacher_subjects, order=10)
    config.add_dashboard_section(
        Role.TEACHER.value, "pending_submissions", pending_submissions, order=20
    )
