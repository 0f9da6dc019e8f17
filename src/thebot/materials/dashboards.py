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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, StudentProfile, User
from thebot.accounts.service import brief, iso
from thebot.accounts.service_profiles import STUDENT_STATS
from thebot.db import utcnow
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
from thebot.materials.subject_resources import visible_enrollments_clause
from thebot.materials.subjects import subject_brief, subjects_taught_ids
from thebot.materials.visibility import visible_materials_clause

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


def enrollment_rows(ctx: DashboardContext, *where: Any) -> list[Any]:
    """Active enrollments (visible to the user) with subject and teacher, in one query."""
    teacher = aliased(User)
    return list(
        ctx.dbsession.execute(
            select(Enrollment, Subject, teacher)
            .join(Subject, Subject.id == Enrollment.subject_id)
            .join(teacher, teacher.id == Enrollment.teacher_id)
            .where(Enrollment.status == ACTIVE, visible_enrollments_clause(ctx.user), *where)
            .order_by(Subject.name, Enrollment.id)
        ).all()
    )


def subject_entry(enrollment: Enrollment, subject: Subject, teacher: User) -> dict[str, Any]:
    return {
        "enrollment_id": enrollment.id,
        "subject": subject_brief(subject),
        "subject_name": enrollment.custom_subject_name or subject.name,
        "teacher": brief(teacher),
        "since": iso(enrollment.created_at),
    }


def as_int(value: Any) -> int:
    return round(float(value)) if value is not None else 0


def progress_entry(progress: MaterialProgress | None) -> dict[str, Any] | None:
    if progress is None:
        return None
    return {
        "percentage": progress.percentage,
        "is_completed": progress.is_completed,
        "completed_at": iso(progress.completed_at),
        "time_spent_seconds": progress.time_spent_seconds,
        "last_accessed_at": iso(progress.last_accessed_at),
    }


def material_brief(material: Material) -> dict[str, Any]:
    return {"id": material.id, "title": material.title, "type": material.type}


# --- student ------------------------------------------------------------------------------


def student_subjects(ctx: DashboardContext) -> list[dict[str, Any]]:
    """The student's active subjects and their teachers."""
    rows = enrollment_rows(ctx, Enrollment.student_id == ctx.user.id)
    return [subject_entry(*row) for row in rows]


# The visibility clause has its own EXISTS over material_assignment: an alias keeps it from
# correlating with ours.
ASSIGNED = aliased(MaterialAssignment, name="assigned")


def assigned_to_student(stmt: Select, user: User) -> Select:
    """``stmt`` over the materials assigned to ``user`` that they may see, with progress."""
    progress_on = and_(
        MaterialProgress.material_id == Material.id, MaterialProgress.student_id == user.id
    )
    return (
        stmt.select_from(ASSIGNED)
        .join(Material, Material.id == ASSIGNED.material_id)
        .outerjoin(MaterialProgress, progress_on)
        .where(ASSIGNED.student_id == user.id, visible_materials_clause(user))
    )


def student_materials(ctx: DashboardContext) -> dict[str, Any]:
    """Materials assigned to the student (the newest first) with their progress, and totals."""
    completed = MaterialProgress.is_completed.is_(True)
    started = and_(MaterialProgress.id.is_not(None), MaterialProgress.is_completed.is_(False))
    total, done, in_progress, average = ctx.dbsession.execute(
        assigned_to_student(
            select(
                func.count(Material.id),
                func.sum(case((completed, 1), else_=0)),
                func.sum(case((started, 1), else_=0)),
                func.avg(func.coalesce(MaterialProgress.percentage, 0)),
            ),
            ctx.user,
        )
    ).one()
    rows = ctx.dbsession.execute(
        assigned_to_student(
            select(Material, Subject, MaterialProgress, ASSIGNED.created_at), ctx.user
        )
        .join(Subject, Subject.id == Material.subject_id)
        .order_by(ASSIGNED.created_at.desc(), Material.id.desc())
        .limit(ITEMS_LIMIT)
    ).all()
    total, done, in_progress = total or 0, as_int(done), as_int(in_progress)
    return {
        "summary": {
            "assigned": total,
            "completed": done,
            "in_progress": in_progress,
            "not_started": total - done - in_progress,
            "average_percentage": as_int(average),
        },
        "items": [
            {
                **material_brief(material),
                "subject": subject_brief(subject),
                "assigned_at": iso(assigned_at),
                "progress": progress_entry(progress),
            }
            for material, subject, progress, assigned_at in rows
        ],
    }


def student_feedback(ctx: DashboardContext) -> list[dict[str, Any]]:
    """The latest feedback on the student's submissions (materials they may still see)."""
    teacher = aliased(User)
    rows = ctx.dbsession.execute(
        select(SubmissionFeedback, Material, teacher)
        .join(MaterialSubmission, MaterialSubmission.id == SubmissionFeedback.submission_id)
        .join(Material, Material.id == MaterialSubmission.material_id)
        .outerjoin(teacher, teacher.id == SubmissionFeedback.teacher_id)
        .where(MaterialSubmission.student_id == ctx.user.id, visible_materials_clause(ctx.user))
        .order_by(SubmissionFeedback.created_at.desc(), SubmissionFeedback.id.desc())
        .limit(FEEDBACK_LIMIT)
    ).all()
    return [
        {
            "id": feedback.id,
            "submission_id": feedback.submission_id,
            "material": material_brief(material),
            "teacher": brief(by) if by is not None else None,
            "grade": feedback.grade,
            "text": feedback.text,
            "status": feedback.status,
            "created_at": iso(feedback.created_at),
        }
        for feedback, material, by in rows
    ]


# --- teacher ------------------------------------------------------------------------------


def teacher_subjects(ctx: DashboardContext) -> list[dict[str, Any]]:
    """Subjects the teacher is assigned to or has active students in, with those students."""
    me = ctx.user.id
    taught = ctx.dbsession.scalars(
        select(Subject).where(Subject.id.in_(subjects_taught_ids(me))).order_by(Subject.name)
    ).all()
    student = aliased(User)
    rows = ctx.dbsession.execute(
        select(Enrollment, Subject, student)
        .join(Subject, Subject.id == Enrollment.subject_id)
        .join(student, student.id == Enrollment.student_id)
        .where(Enrollment.teacher_id == me, Enrollment.status == ACTIVE)
        .order_by(student.last_name, student.first_name, student.id)
    ).all()

    def entry(subject: Subject, assigned: bool) -> dict[str, Any]:
        return {"subject": subject_brief(subject), "is_assigned": assigned, "students": []}

    entries = {subject.id: entry(subject, True) for subject in taught}
    for enrollment, subject, learner in rows:
        entries.setdefault(subject.id, entry(subject, False))["students"].append(
            {
                "enrollment_id": enrollment.id,
                "student": brief(learner),
                "subject_name": enrollment.custom_subject_name or subject.name,
                "since": iso(enrollment.created_at),
            }
        )
    ordered = sorted(entries.values(), key=lambda e: (e["subject"]["name"], e["subject"]["id"]))
    return [{**e, "student_count": len(e["students"])} for e in ordered]


def pending_submissions(ctx: DashboardContext) -> dict[str, Any]:
    """Submissions waiting for review on materials the teacher wrote or whose subject they
    teach; the longest-waiting first."""
    me = ctx.user.id
    # The subject ids first: ``author = me OR subject_id IN (literal ids)`` lets both
    # databases combine two index lookups, where the subquery form scanned every material.
    taught = list(ctx.dbsession.scalars(subjects_taught_ids(me)))
    waiting = and_(
        MaterialSubmission.status == SubmissionStatus.SUBMITTED.value,
        Material.deleted_at.is_(None),
        or_(Material.author_id == me, Material.subject_id.in_(taught)),
    )
    on_material = Material.id == MaterialSubmission.material_id
    count = ctx.dbsession.scalar(
        select(func.count(MaterialSubmission.id)).join(Material, on_material).where(waiting)
    )
    student = aliased(User)
    rows = ctx.dbsession.execute(
        select(MaterialSubmission, Material, Subject, student)
        .join(Material, on_material)
        .join(Subject, Subject.id == Material.subject_id)
        .join(student, student.id == MaterialSubmission.student_id)
        .where(waiting)
        .order_by(MaterialSubmission.submitted_at, MaterialSubmission.id)
        .limit(ITEMS_LIMIT)
    ).all()
    return {
        "count": count or 0,
        "items": [
            {
                "id": submission.id,
                "material": material_brief(material),
                "subject": subject_brief(subject),
                "student": brief(learner),
                "submitted_at": iso(submission.submitted_at),
            }
            for submission, material, subject, learner in rows
        ],
    }


# --- tutor and parent: one card per student -----------------------------------------------


def student_cards(
    ctx: DashboardContext, student_ids: Any, *, with_teachers: bool
) -> list[dict[str, Any]]:
    """Each (active) student of ``student_ids`` with profile stats, the active subjects the
    user may see, and progress totals: three queries whatever the number of students."""
    # The ids once, as a literal list: each query below then looks students up by index
    # instead of evaluating the teaching-relation union again.
    student_ids = list(ctx.dbsession.scalars(student_ids))
    live = Material.deleted_at.is_(None)
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
            MaterialProgress.student_id.in_(student_ids),
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
            live,
            Material.status == MaterialStatus.ACTIVE.value,
            MaterialAssignment.student_id.in_(student_ids),
        )
        .group_by(MaterialAssignment.student_id)
        .subquery("assigned")
    )
    tutor = aliased(User)
    rows = ctx.dbsession.execute(
        select(User, StudentProfile, tutor, progress, assigned.c.n)
        .outerjoin(StudentProfile, StudentProfile.user_id == User.id)
        .outerjoin(tutor, tutor.id == StudentProfile.tutor_id)
        .outerjoin(progress, progress.c.student_id == User.id)
        .outerjoin(assigned, assigned.c.student_id == User.id)
        .where(
            User.id.in_(student_ids),
            User.role == Role.STUDENT.value,
            User.is_active.is_(True),
        )
        .order_by(User.last_name, User.first_name, User.id)
    ).all()
    subjects: dict[int, list[dict[str, Any]]] = {}
    for row in enrollment_rows(ctx, Enrollment.student_id.in_(student_ids)):
        subjects.setdefault(row[0].student_id, []).append(subject_entry(*row))
    cards = []
    for student, profile, tutor_user, _sid, started, done, average, seconds, last_at, n in rows:
        card: dict[str, Any] = {
            "student": brief(student),
            "stats": {name: getattr(profile, name) if profile else 0 for name in STUDENT_STATS},
            "subjects": subjects.get(student.id, []),
            "progress": {
                "assigned": n or 0,
                "started": started or 0,
                "completed": as_int(done),
                "average_percentage": as_int(average),
                "time_spent_seconds": as_int(seconds),
                "last_activity_at": iso(last_at),
            },
        }
        if with_teachers:
            tutor_brief = brief(tutor_user) if tutor_user is not None else None
            mine = {s["teacher"]["id"]: s["teacher"] for s in card["subjects"]}
            if tutor_brief is not None:
                mine.setdefault(tutor_brief["id"], tutor_brief)
            card["tutor"] = tutor_brief
            card["teachers"] = sorted(mine.values(), key=lambda t: t["id"])
        cards.append(card)
    return cards


def tutor_students(ctx: DashboardContext) -> list[dict[str, Any]]:
    """The tutor's own students (as in ``GET /api/accounts/students/``)."""
    return student_cards(ctx, people.students_taught_by(ctx.user.id), with_teachers=False)


def parent_children(ctx: DashboardContext) -> list[dict[str, Any]]:
    """Each child with their subjects, progress, tutor and teachers."""
    return student_cards(ctx, people.children_of(ctx.user.id), with_teachers=True)


register_section(Role.STUDENT.value, "subjects", student_subjects, order=10)
register_section(Role.STUDENT.value, "materials", student_materials, order=20)
register_section(Role.STUDENT.value, "feedback", student_feedback, order=30)
register_section(Role.TEACHER.value, "subjects", teacher_subjects, order=10)
register_section(Role.TEACHER.value, "pending_submissions", pending_submissions, order=20)
register_section(Role.TUTOR.value, "students", tutor_students, order=10)
register_section(Role.PARENT.value, "children", parent_children, order=10)
