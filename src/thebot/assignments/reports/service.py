"""Progress reports about a student: who sees them, and their life ``draft -> sent -> read``,
with ``archived`` reachable from any other state.

Who sees a report (one rule for single reports and for lists, ``visible_reports_clause``):

- admins see every report, and the author sees their own in any state;
- a draft is the author's work in progress: nobody else sees it;
- once sent (``sent_at`` is set, whatever the state since), the student's teachers and tutor
  (anyone with a teaching relation to the student,
  ``thebot.accounts.relationships.visibility``) and the student see it;
- a parent sees a sent report about their child only when ``show_to_parent`` is true;
- everyone else gets a 404.

The author (or an admin) edits a draft, refreshes its figures, sends and archives it; a parent
who sees the report acknowledges it (``sent -> read``). Figures are always computed from the
data (``thebot.assignments.reports.figures``), never accepted from a client.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    and_,
    exists,
    false,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from thebot.accounts import visibility as people
from thebot.accounts.models import Role, User
from thebot.assignments.models import ReportStatus, ReportType, StudentReport
from thebot.assignments.reports.events import ReportAcknowledged, ReportSent
from thebot.assignments.reports.figures import compute_figures
from thebot.db import utcnow
from thebot.errors import Conflict, Invalid
from thebot.events import record
from thebot.schemas import iso

log = logging.getLogger(__name__)

DRAFT, SENT, READ, ARCHIVED = (s.value for s in ReportStatus)
STATUSES = tuple(s.value for s in ReportStatus)
TYPES = tuple(t.value for t in ReportType)
MAX_PERIOD_DAYS = 366
EDITABLE = ("type", "period_start", "period_end", "summary", "show_to_parent")

# How a viewer relates to a report (decides the ACL in ``report_resources``).
AS_ADMIN = "admin"
AS_AUTHOR = "author"
AS_STAFF = "staff"  # teaches the student (a teacher, or the student's tutor)
AS_STUDENT = "student"
AS_PARENT = "parent"


# --- visibility -------------------------------------------------------------------------


def visible_reports_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause on ``StudentReport`` selecting exactly the reports ``viewer`` may see."""
    if not viewer.is_active:
        return false()
    if viewer.role == Role.ADMIN.value:
        return true()
    sent = StudentReport.sent_at.is_not(None)
    if viewer.role in people.TEACHING_ROLES:
        return or_(
            StudentReport.author_id == viewer.id,
            and_(
                sent,
                StudentReport.student_id.in_(
                    people.students_taught_by(people.session_of(viewer), viewer.id)
                ),
            ),
        )
    if viewer.role == Role.STUDENT.value:
        return and_(sent, StudentReport.student_id == viewer.id)
    if viewer.role == Role.PARENT.value:
        return and_(
            sent,
            StudentReport.show_to_parent.is_(True),
            StudentReport.student_id.in_(people.children_of(viewer.id)),
        )
    return false()


def report_relation(dbsession: Session, viewer: User | None, report: StudentReport) -> str | None:
    """How ``viewer`` relates to ``report``; ``None`` when they may not see it at all."""
    if viewer is None or not viewer.is_active:
        return None
    if viewer.role == Role.ADMIN.value:
        return AS_ADMIN
    if report.author_id == viewer.id:
        return AS_AUTHOR
    visible = dbsession.scalar(
        select(exists().where(StudentReport.id == report.id, visible_reports_clause(viewer)))
    )
    if not visible:
        return None
    if viewer.role == Role.PARENT.value:
        return AS_PARENT
    if viewer.role == Role.STUDENT.value:
        return AS_STUDENT
    return AS_STAFF


def reports_query(
    viewer: User,
    *,
    student_id: int | None = None,
    status: str | None = None,
    report_type: str | None = None,
) -> Select:
    stmt = select(StudentReport).where(visible_reports_clause(viewer))
    if student_id is not None:
        stmt = stmt.where(StudentReport.student_id == student_id)
    if status is not None:
        stmt = stmt.where(StudentReport.status == status)
    if report_type is not None:
        stmt = stmt.where(StudentReport.type == report_type)
    return stmt


# --- writing ----------------------------------------------------------------------------


def conflict(report: StudentReport, action: str, rule: str) -> Conflict:
    """The report's state refuses ``action`` (the problem names the state)."""
    return Conflict(
        f"This report is {report.status}, so it cannot be {action}: {rule}.",
        report_status=report.status,
    )


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise Invalid(
            "period_end",
            "Must be on or after period_start",
            detail="The period ends before it starts.",
        )
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        raise Invalid(
            "period_end",
            f"At most {MAX_PERIOD_DAYS} days after period_start",
            detail=f"A report covers at most {MAX_PERIOD_DAYS} days.",
        )


def reportable_student(dbsession: Session, author: User, student_id: int) -> User:
    """The student ``author`` may write about: one they teach (any student, for admins)."""
    student = dbsession.get(User, student_id)
    allowed = (
        student is not None
        and student.role == Role.STUDENT.value
        and student.is_active
        and (author.role == Role.ADMIN.value or people.teaches(dbsession, author.id, student.id))
    )
    if not allowed or student is None:
        # The same answer for "no such user" and "not yours": no existence oracle.
        raise Invalid(
            "student_id",
            "Not an active student you teach",
            detail="You can only report on an active student you teach.",
        )
    return student


def create_report(
    dbsession: Session,
    author: User,
    *,
    student_id: int,
    period_start: dt.date,
    period_end: dt.date,
    report_type: str = ReportType.PROGRESS.value,
    summary: str = "",
    show_to_parent: bool = True,
    is_weekly_draft: bool = False,
    figures: dict[str, Any] | None = None,
) -> StudentReport:
    """A draft about one of the author's students, its figures computed for the period."""
    check_period(period_start, period_end)
    reportable_student(dbsession, author, student_id)
    report = StudentReport(
        student_id=student_id,
        author_id=author.id,
        type=report_type,
        period_start=period_start,
        period_end=period_end,
        summary=summary,
        show_to_parent=show_to_parent,
        status=DRAFT,
        is_weekly_draft=is_weekly_draft,
        figures=figures
        if figures is not None
        else compute_figures(dbsession, student_id, period_start, period_end),
    )
    dbsession.add(report)
    dbsession.flush()
    return report


def change_state(
    dbsession: Session,
    report: StudentReport,
    allowed: tuple[str, ...],
    action: str,
    rule: str,
    **values: Any,
) -> None:
    """Write ``values`` only while the report is in an ``allowed`` state.

    One guarded ``UPDATE ... WHERE status IN allowed``: of two concurrent requests (two
    parents acknowledging, a send racing an edit) the second finds no row and gets the 409,
    so nobody is notified twice and a sent report is never edited.
    """
    if report.status not in allowed:
        raise conflict(report, action, rule)
    values.setdefault("updated_at", utcnow())
    # An UPDATE runs on a cursor; Session.execute is only typed as returning rows.
    result = cast(
        "CursorResult[Any]",
        dbsession.execute(
            update(StudentReport)
            .where(StudentReport.id == report.id, StudentReport.status.in_(allowed))
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        dbsession.refresh(report)
        raise conflict(report, action, rule)
    for name, value in values.items():
        set_committed_value(report, name, value)


def update_report(dbsession: Session, report: StudentReport, changes: dict[str, Any]) -> list[str]:
    """Edit a draft; a new period recomputes the figures. Returns the changed field names."""
    if report.status != DRAFT and any(name in changes for name in EDITABLE):
        raise conflict(report, "edited", "only a draft can")
    changed = [n for n in EDITABLE if n in changes and changes[n] != getattr(report, n)]
    if not changed:
        return []
    period_changed = {"period_start", "period_end"} & set(changed)
    if period_changed and report.is_weekly_draft:
        raise Conflict(
            "A weekly summary covers its week; write a separate report for another period.",
            report_status=report.status,
        )
    start = changes.get("period_start", report.period_start)
    end = changes.get("period_end", report.period_end)
    check_period(start, end)
    values = {name: changes[name] for name in changed}
    if period_changed:
        values["figures"] = compute_figures(dbsession, report.student_id, start, end)
    change_state(dbsession, report, (DRAFT,), "edited", "only a draft can", **values)
    return changed


def refresh_figures(dbsession: Session, report: StudentReport) -> StudentReport:
    """Recompute a draft's figures from the current data."""
    rule = "only a draft's figures can be"
    if report.status != DRAFT:
        raise conflict(report, "refreshed", rule)
    figures = compute_figures(dbsession, report.student_id, report.period_start, report.period_end)
    change_state(dbsession, report, (DRAFT,), "refreshed", rule, figures=figures)
    return report


def send_report(dbsession: Session, report: StudentReport) -> list[User]:
    """``draft -> sent``; the parents it is shown to (none unless ``show_to_parent``) will be
    told (``ReportSent``). Returns those parents."""
    now = utcnow()
    change_state(dbsession, report, (DRAFT,), "sent", "only a draft can", status=SENT, sent_at=now)
    parents: list[User] = []
    if report.show_to_parent:
        stmt = (
            select(User)
            .where(User.id.in_(people.parents_of(report.student_id)), User.is_active.is_(True))
            .order_by(User.id)
        )
        parents = list(dbsession.execute(stmt).scalars())
    event = ReportSent(
        report_id=report.id,
        student_id=report.student_id,
        author_id=report.author_id,
        parent_ids=tuple(p.id for p in parents),
    )
    record(dbsession, event)
    return parents


def acknowledge_report(dbsession: Session, report: StudentReport, parent: User) -> StudentReport:
    """``sent -> read`` by a parent of the student, with the time and who; the author will be
    told (``ReportAcknowledged``)."""
    change_state(
        dbsession,
        report,
        (SENT,),
        "acknowledged",
        "only a sent report can",
        status=READ,
        read_at=utcnow(),
        read_by_id=parent.id,
    )
    event = ReportAcknowledged(
        report_id=report.id,
        student_id=report.student_id,
        author_id=report.author_id,
        parent_id=parent.id,
    )
    record(dbsession, event)
    return report


def archive_report(dbsession: Session, report: StudentReport) -> StudentReport:
    """Any state but archived ``-> archived``; an archived weekly draft is not drafted again."""
    change_state(
        dbsession, report, (DRAFT, SENT, READ), "archived", "it already is", status=ARCHIVED
    )
    return report


# --- representation -----------------------------------------------------------------------


def people_of(dbsession: Session, reports: Iterable[StudentReport]) -> dict[int, User]:
    """Students, authors and readers of a whole page in one query."""
    ids: set[int] = set()
    for report in reports:
        ids.update((report.student_id, report.author_id))
        if report.read_by_id is not None:
            ids.add(report.read_by_id)
    if not ids:
        return {}
    return {u.id: u for u in dbsession.execute(select(User).where(User.id.in_(ids))).scalars()}


def brief(user: User | None, user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    if user is None:
        return {"id": user_id, "username": "", "first_name": "", "last_name": ""}
    return {
        "id": user.id,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


def report_data(report: StudentReport, users: dict[int, User]) -> dict[str, Any]:
    return {
        "id": report.id,
        "student": brief(users.get(report.student_id), report.student_id),
        "author": brief(users.get(report.author_id), report.author_id),
        "type": report.type,
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "summary": report.summary,
        "figures": dict(report.figures or {}),
        "show_to_parent": report.show_to_parent,
        "status": report.status,
        "is_weekly_draft": report.is_weekly_draft,
        "sent_at": iso(report.sent_at),
        "read_at": iso(report.read_at),
        "read_by": brief(users.get(report.read_by_id or 0), report.read_by_id),
        "created_at": iso(report.created_at),
        "updated_at": iso(report.updated_at),
    }


def one_report_data(dbsession: Session, report: StudentReport) -> dict[str, Any]:
    return report_data(report, people_of(dbsession, [report]))
