"""Role dashboards, assembled from *sections* registered per role, so later features add
theirs at import time without touching this module:

    register_section("student", "lessons", next_lessons, order=15)  # next_lessons(ctx)

A body is ``{"role", "user", "generated_at", "sections": {name: data}}``. A section provider
gets a ``DashboardContext``, runs a constant number of SQL queries whatever the number of
rows (tested), returns JSON-ready data the user may see, and the features writing its data
invalidate the cached dashboards they change (``thebot.materials.dashboard_cache``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, StudentProfile, User
from thebot.accounts.service import BRIEF_FIELDS, brief, iso
from thebot.accounts.service_profiles import STUDENT_STATS
from thebot.db import utcnow
from thebot.flat_rows import Layout
from thebot.materials.models import (
    Enrollment,
    EnrollmentStatus,
    Material,
    MaterialAssignment,
    MaterialProgress,
    MaterialStatus,
    MaterialSubmission,
    Subject,
    SubmissionFeedback,
    SubmissionStatus,
)
from thebot.materials.subject_resources import enrollments_visible_to_role
from thebot.materials.subjects import SUBJECT_BRIEF_FIELDS, subjects_taught_ids
from thebot.materials.visibility import visible_to_role

DASHBOARD_ROLES = (Role.STUDENT.value, Role.TEACHER.value, Role.TUTOR.value, Role.PARENT.value)
ITEMS_LIMIT = 20  # materials and pending submissions listed (the summaries count them all)
FEEDBACK_LIMIT = 10
ACTIVE = EnrollmentStatus.ACTIVE.value


@dataclass
class DashboardContext:
    """A provider's input; ``shared`` lets providers of one dashboard reuse results."""

    dbsession: Session
    user: User
    now: dt.datetime
    shared: dict[str, Any] = field(default_factory=dict)


SectionBuilder = Callable[[DashboardContext], Any]


@dataclass(frozen=True)
class Section:
    role: str
    name: str
    build: SectionBuilder
    order: int = 100


_SECTIONS: dict[str, dict[str, Section]] = {role: {} for role in DASHBOARD_ROLES}


def register_section(role: str, name: str, build: SectionBuilder, *, order: int = 100) -> Section:
    """Add (or replace) the section ``name`` of the ``role`` dashboard."""
    if role not in _SECTIONS:
        raise ValueError(f"no {role!r} dashboard; roles: {', '.join(DASHBOARD_ROLES)}")
    section = Section(role, name, build, order)
    _SECTIONS[role][name] = section
    return section


def unregister_section(role: str, name: str) -> None:
    _SECTIONS.get(role, {}).pop(name, None)


def sections_for(role: str) -> list[Section]:
    return sorted(_SECTIONS.get(role, {}).values(), key=lambda s: (s.order, s.name))


def build_dashboard(
    dbsession: Session, user: User, role: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    ctx = DashboardContext(dbsession, user, now or utcnow())
    return {
        "role": role,
        "user": brief(user),
        "generated_at": iso(ctx.now),
        "sections": {s.name: s.build(ctx) for s in sections_for(role)},
    }


# --- shared pieces ------------------------------------------------------------------------
# Sections read flat rows (``thebot.flat_rows``), not ORM objects, from statements built
# once (per role where visibility depends on it) with the user's id as the ``viewer_id``
# parameter: a dashboard computed after an invalidation costs a few milliseconds of CPU.

VIEWER = bindparam("viewer_id")
# The card lists read the students' ids from this parameter (an expanding IN: one bound
# list, not one bound value per id to build and cache each time).
STUDENT_IDS = bindparam("student_ids", expanding=True)
Teacher = aliased(User, name="teacher")
Student = aliased(User, name="student")
ENROLLMENT = Layout(subject=(Subject, SUBJECT_BRIEF_FIELDS), teacher=(Teacher, BRIEF_FIELDS))
ENROLLMENT_FIELDS = (
    Enrollment.id.label("enrollment_id"),
    Enrollment.student_id,
    Enrollment.custom_subject_name,
    Enrollment.created_at,
)
MATERIAL_BRIEF_FIELDS = ("id", "title", "type")


def viewer_params(ctx: DashboardContext, **more: Any) -> dict[str, Any]:
    return {"viewer_id": ctx.user.id, **more}


@functools.cache  # roles x {one student: the viewer; listed students}
def enrollments_statement(role: str, listed: bool) -> Select:
    """Active enrollments (visible to ``role``) with subject and teacher, of the viewer
    (``listed`` false) or of the ``student_ids`` parameter."""
    students = (
        Enrollment.student_id.in_(STUDENT_IDS) if listed else Enrollment.student_id == VIEWER
    )
    return (
        select(*ENROLLMENT.columns, *ENROLLMENT_FIELDS)
        .select_from(Enrollment)
        .join(Subject, Subject.id == Enrollment.subject_id)
        .join(Teacher, Teacher.id == Enrollment.teacher_id)
        .where(Enrollment.status == ACTIVE, enrollments_visible_to_role(role, VIEWER), students)
        .order_by(Subject.name, Enrollment.id)
    )


def subject_entry(row: Any) -> dict[str, Any]:
    subject = ENROLLMENT.part(row, "subject")
    return {
        "enrollment_id": row.enrollment_id,
        "subject": subject,
        "subject_name": row.custom_subject_name or subject["name"],
        "teacher": ENROLLMENT.part(row, "teacher"),
        "since": iso(row.created_at),
    }


def as_int(value: Any) -> int:
    return round(float(value)) if value is not None else 0


# --- student ------------------------------------------------------------------------------


def student_subjects(ctx: DashboardContext) -> list[dict[str, Any]]:
    """The student's active subjects and their teachers."""
    if not ctx.user.is_active:
        return []
    rows = ctx.dbsession.execute(enrollments_statement(ctx.user.role, False), viewer_params(ctx))
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
def student_materials_statements(role: str) -> tuple[Select, Select]:
    completed = MaterialProgress.is_completed.is_(True)
    started = and_(MaterialProgress.id.is_not(None), MaterialProgress.is_completed.is_(False))
    totals = select(
        func.count(Material.id),
        func.sum(case((completed, 1), else_=0)),
        func.sum(case((started, 1), else_=0)),
        func.avg(func.coalesce(MaterialProgress.percentage, 0)),
    )
    items = select(
        *STUDENT_MATERIAL.columns,
        MaterialProgress.last_accessed_at,
        ASSIGNED.created_at.label("assigned_at"),
    )
    return assigned_to_viewer(totals, role), (
        assigned_to_viewer(items, role)
        .join(Subject, Subject.id == Material.subject_id)
        .order_by(ASSIGNED.created_at.desc(), Material.id.desc())
        .limit(ITEMS_LIMIT)
    )


def student_materials(ctx: DashboardContext) -> dict[str, Any]:
    """Materials assigned to the student (the newest first) with their progress, and totals."""
    if not ctx.user.is_active:
        return {"summary": totals_summary(0, 0, 0, 0), "items": []}
    totals, items = student_materials_statements(ctx.user.role)
    params = viewer_params(ctx)
    summary = totals_summary(*ctx.dbsession.execute(totals, params).one())
    return {
        "summary": summary,
        "items": [
            {
                **STUDENT_MATERIAL.part(row, "material"),
                "subject": STUDENT_MATERIAL.part(row, "subject"),
                "assigned_at": iso(row.assigned_at),
                "progress": progress_entry(STUDENT_MATERIAL.values(row, "progress"), row),
            }
            for row in ctx.dbsession.execute(items, params)
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
    rows = ctx.dbsession.execute(feedback_statement(ctx.user.role), viewer_params(ctx))
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


# --- teacher ------------------------------------------------------------------------------

TAUGHT = Layout(subject=(Subject, SUBJECT_BRIEF_FIELDS))
TEACHER_STUDENT = Layout(subject=(Subject, SUBJECT_BRIEF_FIELDS), student=(Student, BRIEF_FIELDS))
TAUGHT_IDS = subjects_taught_ids(VIEWER)
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
    for row in ctx.dbsession.execute(TAUGHT_SUBJECTS, params):
        subject = TAUGHT.part(row, "subject")
        entries[subject["id"]] = entry(subject, True)
    for row in ctx.dbsession.execute(TEACHER_STUDENTS, params):
        subject = TEACHER_STUDENT.part(row, "subject")
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
# The taught subject ids are read first and bound as a list: ``author = me OR subject_id IN
# (ids)`` lets both databases combine two index lookups, where the subquery form scanned
# every material.
WAITING = and_(
    MaterialSubmission.status == SubmissionStatus.SUBMITTED.value,
    Material.deleted_at.is_(None),
    or_(
        Material.author_id == VIEWER,
        Material.subject_id.in_(bindparam("subject_ids", expanding=True)),
    ),
)
ON_MATERIAL = Material.id == MaterialSubmission.material_id
PENDING_COUNT = (
    select(func.count(MaterialSubmission.id)).join(Material, ON_MATERIAL).where(WAITING)
)
PENDING_ITEMS = (
    select(*PENDING.columns, MaterialSubmission.id, MaterialSubmission.submitted_at)
    .select_from(MaterialSubmission)
    .join(Material, ON_MATERIAL)
    .join(Subject, Subject.id == Material.subject_id)
    .join(Student, Student.id == MaterialSubmission.student_id)
    .where(WAITING)
    .order_by(MaterialSubmission.submitted_at, MaterialSubmission.id)
    .limit(ITEMS_LIMIT)
)


def pending_submissions(ctx: DashboardContext) -> dict[str, Any]:
    """Submissions waiting for review on materials the teacher wrote or whose subject they
    teach; the longest-waiting first."""
    params = viewer_params(ctx)
    params["subject_ids"] = list(ctx.dbsession.scalars(TAUGHT_IDS, params))
    return {
        "count": ctx.dbsession.scalar(PENDING_COUNT, params) or 0,
        "items": [
            {
                "id": row.id,
                "material": PENDING.part(row, "material"),
                "subject": PENDING.part(row, "subject"),
                "student": PENDING.part(row, "student"),
                "submitted_at": iso(row.submitted_at),
            }
            for row in ctx.dbsession.execute(PENDING_ITEMS, params)
        ],
    }


# --- tutor and parent: one card per student -----------------------------------------------

Tutor = aliased(User, name="tutor")
CARD = Layout(
    student=(User, BRIEF_FIELDS),
    stats=(StudentProfile, ("user_id", *STUDENT_STATS)),
    tutor=(Tutor, BRIEF_FIELDS),
)


def _cards_statement() -> Select:
    """The students with stats, tutor, progress totals and assigned count (built once)."""
    progress = (
        select(
            MaterialProgress.student_id.label("student_id"),
            func.count().label("started"),
            func.sum(case((MaterialProgress.is_completed.is_(True), 1), else_=0)).label("done"),
            func.avg(MaterialProgress.percentage).label("average"),
            func.sum(MaterialProgress.time_spent_seconds).label("seconds"),
            func.max(MaterialProgress.last_accessed_at).label("last_at"),
        )
        .where(
            MaterialProgress.student_id.in_(STUDENT_IDS),
            # deleted materials are few: excluding them beats joining every live one
            MaterialProgress.material_id.not_in(
                select(Material.id).where(Material.deleted_at.is_not(None))
            ),
        )
        .group_by(MaterialProgress.student_id)
        .subquery("progress")
    )
    assigned = (
        select(MaterialAssignment.student_id.label("student_id"), func.count().label("n"))
        .join(Material, Material.id == MaterialAssignment.material_id)
        .where(
            Material.deleted_at.is_(None),
            Material.status == MaterialStatus.ACTIVE.value,
            MaterialAssignment.student_id.in_(STUDENT_IDS),
        )
        .group_by(MaterialAssignment.student_id)
        .subquery("assigned")
    )
    return (
        select(
            *CARD.columns,
            progress.c.started,
            progress.c.done,
            progress.c.average,
            progress.c.seconds,
            progress.c.last_at,
            assigned.c.n,
        )
        .select_from(User)
        .outerjoin(StudentProfile, StudentProfile.user_id == User.id)
        .outerjoin(Tutor, Tutor.id == StudentProfile.tutor_id)
        .outerjoin(progress, progress.c.student_id == User.id)
        .outerjoin(assigned, assigned.c.student_id == User.id)
        .where(
            User.id.in_(STUDENT_IDS),
            User.role == Role.STUDENT.value,
            User.is_active.is_(True),
        )
        .order_by(User.last_name, User.first_name, User.id)
    )


CARDS = _cards_statement()


def student_cards(
    ctx: DashboardContext, student_ids: Select, *, with_teachers: bool
) -> list[dict[str, Any]]:
    """Each (active) student of ``student_ids`` with profile stats, the active subjects the
    user may see, and progress totals: three queries whatever the number of students."""
    if not ctx.user.is_active:
        return []
    # The ids once: each query below then looks students up by index instead of
    # evaluating the teaching-relation union again.
    ids = {"student_ids": list(ctx.dbsession.scalars(student_ids, viewer_params(ctx)))}
    rows = ctx.dbsession.execute(CARDS, ids)
    subjects: dict[int, list[dict[str, Any]]] = {}
    enrollments = enrollments_statement(ctx.user.role, True)
    for row in ctx.dbsession.execute(enrollments, viewer_params(ctx, **ids)):
        subjects.setdefault(row.student_id, []).append(subject_entry(row))
    cards = []
    for row in rows:
        student = CARD.part(row, "student")
        stats = CARD.values(row, "stats")
        card: dict[str, Any] = {
            "student": student,
            "stats": dict(zip(STUDENT_STATS, stats[1:] if stats[0] else [0] * 4, strict=True)),
            "subjects": subjects.get(student["id"], []),
            "progress": {
                "assigned": row.n or 0,
                "started": row.started or 0,
                "completed": as_int(row.done),
                "average_percentage": as_int(row.average),
                "time_spent_seconds": as_int(row.seconds),
                "last_activity_at": iso(row.last_at),
            },
        }
        if with_teachers:
            tutor_brief = CARD.part(row, "tutor")
            mine = {s["teacher"]["id"]: s["teacher"] for s in card["subjects"]}
            if tutor_brief is not None:
                mine.setdefault(tutor_brief["id"], tutor_brief)
            card["tutor"] = tutor_brief
            card["teachers"] = sorted(mine.values(), key=lambda t: t["id"])
        cards.append(card)
    return cards


TUTORED = people.students_taught_by(VIEWER)
CHILDREN = people.children_of(VIEWER)


def tutor_students(ctx: DashboardContext) -> list[dict[str, Any]]:
    """The tutor's own students (as in ``GET /api/accounts/students/``)."""
    return student_cards(ctx, TUTORED, with_teachers=False)


def parent_children(ctx: DashboardContext) -> list[dict[str, Any]]:
    """Each child with their subjects, progress, tutor and teachers."""
    return student_cards(ctx, CHILDREN, with_teachers=True)


register_section(Role.STUDENT.value, "subjects", student_subjects, order=10)
register_section(Role.STUDENT.value, "materials", student_materials, order=20)
register_section(Role.STUDENT.value, "feedback", student_feedback, order=30)
register_section(Role.TEACHER.value, "subjects", teacher_subjects, order=10)
register_section(Role.TEACHER.value, "pending_submissions", pending_submissions, order=20)
register_section(Role.TUTOR.value, "students", tutor_students, order=10)
register_section(Role.PARENT.value, "children", parent_children, order=10)
