"""Role dashboards, assembled from *sections* that features add with a config directive in
their ``includeme``, without touching this module:

    config.add_dashboard_section("student", "lessons", next_lessons, order=15)

A body is ``{"role", "user", "generated_at", "sections": {name: data}}``. A section builder
gets a ``DashboardContext``, runs a constant number of SQL queries whatever the number of
rows (tested), returns JSON-ready data the user may see; the events of the features writing
its data make the cached dashboards stale (``thebot.dashboards.subscribers``).

The learning sections live in ``sections/``, one module per role (``student``, ``teacher``,
``cards`` for tutors and parents), and read flat rows from statements built once with the
pieces below; lessons add theirs (``thebot.scheduling.lessons.dashboard``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, Executable, Result, Select, bindparam, select
from sqlalchemy.orm import Session, aliased

from thebot.accounts.models import Role, User
from thebot.accounts.users.service import BRIEF_FIELDS, brief
from thebot.catalog.models import Enrollment, EnrollmentStatus, Subject
from thebot.catalog.subjects import SUBJECT_BRIEF_FIELDS
from thebot.catalog.visibility import enrollments_visible_to_role
from thebot.db import utcnow
from thebot.db.lists import in_list
from thebot.db.rows import Layout
from thebot.schemas import iso

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

    def rows(self, statement: Executable, params: dict[str, Any]) -> Result[Any]:
        """A section's read, as plain rows on the session's connection: the statements
        select columns, not entities, so the ORM's loading layer (a fifth of a statement's
        CPU) has nothing to do, and a dashboard is built with nothing pending to flush."""
        return self.dbsession.connection().execute(statement, params)


SectionBuilder = Callable[[DashboardContext], Any]


@dataclass(frozen=True)
class Section:
    role: str
    name: str
    build: SectionBuilder
    order: int = 100


SECTIONS_KEY = "dashboard_sections"  # registry: {role: {name: Section}}


def add_dashboard_section(
    config: Any, role: str, name: str, build: SectionBuilder, *, order: int = 100
) -> Section:
    """``config.add_dashboard_section``: add (or replace) the section ``name`` of the
    ``role`` dashboard."""
    if role not in DASHBOARD_ROLES:
        raise ValueError(f"no {role!r} dashboard; roles: {', '.join(DASHBOARD_ROLES)}")
    section = Section(role, name, build, order)
    sections(config.registry)[role][name] = section
    return section


def sections(registry: Any) -> dict[str, dict[str, Section]]:
    """The sections registered in ``registry``, by role and name."""
    found = registry.get(SECTIONS_KEY)
    if found is None:
        found = registry[SECTIONS_KEY] = {role: {} for role in DASHBOARD_ROLES}
    return found


def sections_for(registry: Any, role: str) -> list[Section]:
    return sorted(sections(registry).get(role, {}).values(), key=lambda s: (s.order, s.name))


def build_dashboard(
    registry: Any, dbsession: Session, user: User, role: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    ctx = DashboardContext(dbsession, user, now or utcnow())
    return {
        "role": role,
        "user": brief(user),
        "generated_at": iso(ctx.now),
        "sections": {s.name: s.build(ctx) for s in sections_for(registry, role)},
    }


# --- shared pieces ------------------------------------------------------------------------
# Sections read flat rows (``thebot.db.rows``), not ORM objects, from statements built
# once (per role where visibility depends on it) with the user's id as the ``viewer_id``
# parameter: a dashboard computed after an invalidation costs a few milliseconds of CPU.

VIEWER: BindParameter[int] = bindparam("viewer_id")
# The card lists read the students' ids from this parameter (``bound_lists.in_list``: one
# bound list, not one bound value per id to build and cache each time).
STUDENT_IDS = "student_ids"
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
        in_list(Enrollment.student_id, STUDENT_IDS) if listed else Enrollment.student_id == VIEWER
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
    subject = ENROLLMENT.joined(row, "subject")
    return {
        "enrollment_id": row.enrollment_id,
        "subject": subject,
        "subject_name": row.custom_subject_name or subject["name"],
        "teacher": ENROLLMENT.part(row, "teacher"),
        "since": iso(row.created_at),
    }


def as_int(value: Any) -> int:
    return round(float(value)) if value is not None else 0
