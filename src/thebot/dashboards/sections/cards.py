"""The tutor's ``students`` and the parent's ``children``: one card per student with
profile stats, the subjects the user may see, progress totals (and, for parents, tutor and
teachers), in three queries whatever the number of students.

A tutor's caseload has no upper bound, so their section is bounded like the other lists of
the dashboards: ``{"count": <all their active students>, "items": <the first
ITEMS_LIMIT cards by name>}`` (every student is on ``GET /api/accounts/students/``). A
parent's children are few: every card, as a list."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import aliased

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, StudentProfile, User
from thebot.accounts.users.profiles import STUDENT_STATS
from thebot.accounts.users.service import BRIEF_FIELDS
from thebot.dashboards.registry import (
    ITEMS_LIMIT,
    STUDENT_IDS,
    VIEWER,
    DashboardContext,
    as_int,
    enrollments_statement,
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


@functools.lru_cache(maxsize=16)  # per built ``student_ids`` statement (a few per app)
def listed_students(student_ids: Select, limit: int | None) -> Select:
    """The active students of ``student_ids`` in name order (the first ``limit``), each row
    with the number of them all."""
    return (
        select(User.id, func.count().over().label("total"))
        .where(
            User.id.in_(student_ids),
            User.role == Role.STUDENT.value,
            User.is_active.is_(True),
        )
        .order_by(User.last_name, User.first_name, User.id)
        .limit(limit)
    )


def student_cards(
    ctx: DashboardContext, student_ids: Select, *, with_teachers: bool, limit: int | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """The number of (active) students of ``student_ids``, and the cards of the first
    ``limit`` by name (all without one) with profile stats, the active subjects the user
    may see, and progress totals: three queries whatever the number of students."""
    if not ctx.user.is_active:
        return 0, []
    # The ids once: each query below then looks students up by index instead of
    # evaluating the teaching-relation union again, for the listed students only.
    listed = ctx.rows(listed_students(student_ids, limit), viewer_params(ctx)).all()
    if not listed:
        return 0, []
    ids = {"student_ids": [row.id for row in listed]}
    rows = ctx.rows(CARDS, ids)
    subjects: dict[int, list[dict[str, Any]]] = {}
    enrollments = enrollments_statement(ctx.user.role, True)
    for row in ctx.rows(enrollments, viewer_params(ctx, **ids)):
        subjects.setdefault(row.student_id, []).append(subject_entry(row))
    cards = []
    for row in rows:
        student = CARD.joined(row, "student")
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
    return listed[0].total, cards


CHILDREN = people.children_of(VIEWER)


def tutor_students(ctx: DashboardContext) -> dict[str, Any]:
    """How many students the tutor has (as in ``GET /api/accounts/students/``) and the cards
    of the first ``ITEMS_LIMIT`` by name. The students statement comes from the registry:
    the teaching relations are registered by features as they load, so one built at import
    time could miss some."""
    count, cards = student_cards(
        ctx,
        people.students_taught_by(ctx.dbsession, VIEWER),
        with_teachers=False,
        limit=ITEMS_LIMIT,
    )
    return {"count": count, "items": cards}


def parent_children(ctx: DashboardContext) -> list[dict[str, Any]]:
    """Each child with their subjects, progress, tutor and teachers."""
    return student_cards(ctx, CHILDREN, with_teachers=True)[1]


def includeme(config: Any) -> None:
    config.add_dashboard_section(Role.TUTOR.value, "students", tutor_students, order=10)
    config.add_dashboard_section(Role.PARENT.value, "children", parent_children, order=10)
