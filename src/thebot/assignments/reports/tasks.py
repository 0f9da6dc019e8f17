"""Weekly summaries: every Monday, a draft report per (tutor, student) for the week before.

The pairs are the students' assigned tutors (``StudentProfile.tutor_id``), both accounts
active. Each draft covers the previous ISO week (Monday..Sunday, UTC days), carries the
computed figures and a one-line account of them as its summary, and waits for the tutor to
review, edit and send it; the tutor gets one notification per run listing how many wait
(``WeeklyReportsDrafted``, one event per tutor and run).

Running twice (a retry, a second scheduler, a manual run) drafts nothing new: pairs that
already have the week's weekly draft are skipped, and the partial unique index
``uq_student_report_weekly`` (one weekly draft per author, student and week) turns a race
between two runs into an ``IntegrityError`` that the loser skips. A weekly draft keeps its
flag when sent or archived, so a discarded (archived) summary is not drafted again either.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from thebot.accounts.models import Role, StudentProfile, User
from thebot.assignments.models import ReportType, StudentReport
from thebot.assignments.reports.events import WeeklyReportsDrafted
from thebot.assignments.reports.figures import compute_many, describe
from thebot.assignments.reports.service import DRAFT
from thebot.db import utcnow
from thebot.events import record
from thebot.tasks import task

log = logging.getLogger(__name__)

WEEKLY_TASK = "assignments.weekly_reports"
WEEKLY_CRON = "0 6 * * 1"  # Mondays 06:00 UTC: the previous week is over in every time zone


def previous_iso_week(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the ISO week before the one ``today`` falls in."""
    this_monday = today - dt.timedelta(days=today.weekday())
    monday = this_monday - dt.timedelta(days=7)
    return monday, monday + dt.timedelta(days=6)


def tutor_student_pairs(dbsession: Session) -> list[tuple[int, int]]:
    """``(tutor_id, student_id)`` of every active student with an active assigned tutor."""
    tutor, student = aliased(User), aliased(User)
    stmt = (
        select(StudentProfile.tutor_id, StudentProfile.user_id)
        .join(tutor, tutor.id == StudentProfile.tutor_id)
        .join(student, student.id == StudentProfile.user_id)
        .where(
            tutor.is_active.is_(True),
            tutor.role == Role.TUTOR.value,
            student.is_active.is_(True),
            student.role == Role.STUDENT.value,
        )
        .order_by(StudentProfile.tutor_id, StudentProfile.user_id)
    )
    # The inner join to the tutor leaves no NULL tutor_id.
    return [(int(t), int(s)) for t, s in dbsession.execute(stmt) if t is not None]


def draft_weekly_reports(dbsession: Session, today: dt.date) -> list[StudentReport]:
    """Draft the missing weekly reports of the week before ``today``; returns the new ones."""
    monday, sunday = previous_iso_week(today)
    pairs = tutor_student_pairs(dbsession)
    done = {
        (int(author_id), int(student_id))
        for author_id, student_id in dbsession.execute(
            select(StudentReport.author_id, StudentReport.student_id).where(
                StudentReport.is_weekly_draft.is_(True), StudentReport.period_start == monday
            )
        )
    }
    todo = [pair for pair in pairs if pair not in done]
    figures = compute_many(dbsession, {student for _, student in todo}, monday, sunday)
    drafted = []
    for tutor_id, student_id in todo:
        report = StudentReport(
            student_id=student_id,
            author_id=tutor_id,
            type=ReportType.PROGRESS.value,
            period_start=monday,
            period_end=sunday,
            summary=describe(figures[student_id]),
            figures=dict(figures[student_id]),
            show_to_parent=True,
            status=DRAFT,
            is_weekly_draft=True,
        )
        try:
            with dbsession.begin_nested():
                dbsession.add(report)
        except IntegrityError:  # a concurrent run drafted this one first
            log.info("weekly report of tutor %s for student %s exists", tutor_id, student_id)
            continue
        drafted.append(report)
    return drafted


def announce_drafts(dbsession: Session, drafted: list[StudentReport]) -> None:
    """One ``WeeklyReportsDrafted`` per tutor with new drafts (their notification)."""
    by_tutor: dict[int, list[int]] = defaultdict(list)
    for report in drafted:
        by_tutor[report.author_id].append(report.id)
    for tutor_id, report_ids in sorted(by_tutor.items()):
        week = drafted[0].period_start.isoformat()
        record(dbsession, WeeklyReportsDrafted(tutor_id, week, tuple(report_ids)))


@task(WEEKLY_TASK, max_retries=3)
def weekly_reports(request: Any, today: str | None = None) -> int:
    """Draft last week's summaries (``today``: ISO date to draft the week before, for reruns)."""
    day = dt.date.fromisoformat(today) if today else utcnow().date()
    drafted = draft_weekly_reports(request.dbsession, day)
    announce_drafts(request.dbsession, drafted)
    log.info("drafted %d weekly reports for the week before %s", len(drafted), day)
    return len(drafted)
