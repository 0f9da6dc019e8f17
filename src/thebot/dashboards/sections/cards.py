"""The tutor's ``students`` and the parent's ``children``: one card per student with
profile stats, the subjects the user may see, progress totals (and, for parents, tutor and
teachers), in three queries whatever the number of students."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import aliased

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, StudentProfile, User
from thebot.accounts.users.profiles import STUDENT_STATS
from thebot.accounts.users.service import BRIEF_FIELDS
from thebot.dashboards.registry import (
    STUDENT_IDS,
    VIEWER,
    DashboardContext,
    as_int,
    enrollments_statement,
    joined,
    subject_entry,
    viewer_params,
)
from thebot.db.lists import in_list
from thebot.db.rows import Layout
from thebot.materials.models import (
    Material,
    MaterialAssignment,
    MaterialProgress,
    MaterialStatus,
)
from thebot.schemas import iso

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
            in_list(MaterialProgress.student_id, STUDENT_IDS),
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
            in_list(MaterialAssignment.student_id, STUDENT_IDS),
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
            in_list(User.id, STUDENT_IDS),
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
        student = joined(CARD, row, "student")
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


CHILDREN = people.children_of(VIEWER)


def tutor_students(ctx: DashboardContext) -> list[dict[str, Any]]:
    """The tutor's own students (as in ``GET /api/accounts/students/``). The statement is
    built per call: the teaching relations are registered by features as they load, so one
    built at import time could miss some."""
    return student_cards(
        ctx, people.students_taught_by(ctx.dbsession, VIEWER), with_teachers=False
    )


def parent_children(ctx: DashboardContext) -> list[dict[str, Any]]:
    """Each child with their subjects, progress, tutor and teachers."""
    return student_cards(ctx, CHILDREN, with_teachers=True)


def includeme(config: Any) -> None:
    config.add_dashboard_section(Role.TUTOR.value, "students", tutor_students, order=10)
    config.add_dashboard_section(Role.PARENT.value, "children", parent_children, order=10)
