"""What happens to progress reports, as domain events (see ``thebot.events``), and this
sub-domain's subscribers: who is told, and what they read."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from thebot.accounts.models import User
from thebot.assignments.models import StudentReport
from thebot.events import Committing, DomainEvent, ids
from thebot.notifications.service import notify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportSent(DomainEvent):
    """A draft was sent (``parent_ids``: the parents it is shown to; none unless
    ``show_to_parent``)."""

    name = "report.sent"
    report_id: int = 0
    student_id: int = 0
    author_id: int = 0
    parent_ids: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return ids((self.student_id, self.author_id), self.parent_ids)


@dataclass(frozen=True)
class ReportAcknowledged(DomainEvent):
    """A parent read a sent report (``sent -> read``)."""

    name = "report.acknowledged"
    report_id: int = 0
    student_id: int = 0
    author_id: int = 0
    parent_id: int = 0

    @property
    def user_ids(self) -> tuple[int, ...]:
        return ids((self.student_id, self.author_id, self.parent_id))


@dataclass(frozen=True)
class WeeklyReportsDrafted(DomainEvent):
    """The weekly run drafted ``report_ids`` for one tutor (``week_start``: ISO date)."""

    name = "report.weekly_drafted"
    author_id: int = 0
    week_start: str = ""
    report_ids: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return (self.author_id,)


# --- subscribers --------------------------------------------------------------------------
# ``notify`` takes the request: its emails leave only once that request's transaction commits.
# A change made on a plain session (a script, a test) has no request: nobody is told.


def full_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.username


def period_of(report: StudentReport) -> str:
    return f"{report.period_start.isoformat()} – {report.period_end.isoformat()}"


def tell_parents(committing: Committing, event: ReportSent) -> None:
    """Each parent the report is shown to hears that it is ready to read."""
    dbsession = committing.dbsession
    if not event.parent_ids:
        return
    report = dbsession.get(StudentReport, event.report_id)
    student = dbsession.get(User, event.student_id)
    if committing.request is None or report is None or student is None:
        return
    parents = dbsession.execute(
        select(User).where(User.id.in_(event.parent_ids)).order_by(User.id)
    ).scalars()
    for parent in parents:
        notify(
            committing.request,
            parent,
            "reports.sent",
            f"New {report.type} report about {full_name(student)}",
            f"A {report.type} report for {period_of(report)} is ready. "
            "Open it to read it and acknowledge it.",
            data={"report_id": report.id, "student_id": report.student_id},
        )


def tell_author(committing: Committing, event: ReportAcknowledged) -> None:
    """The author hears which parent read the report."""
    dbsession = committing.dbsession
    report = dbsession.get(StudentReport, event.report_id)
    author = dbsession.get(User, event.author_id)
    parent = dbsession.get(User, event.parent_id)
    if committing.request is None or report is None or author is None or parent is None:
        return
    notify(
        committing.request,
        author,
        "reports.acknowledged",
        f"{full_name(parent)} read your report",
        f"Your {report.type} report for {period_of(report)} was acknowledged.",
        data={"report_id": report.id, "student_id": report.student_id},
    )


def tell_tutor(committing: Committing, event: WeeklyReportsDrafted) -> None:
    """One notification per tutor and run: how many weekly summaries wait for review."""
    tutor = committing.dbsession.get(User, event.author_id)
    count = len(event.report_ids)
    if committing.request is None or tutor is None or not count:
        return
    notify(
        committing.request,
        tutor,
        "reports.weekly_drafted",
        f"{count} weekly {'summary' if count == 1 else 'summaries'} to review",
        f"Draft progress reports for the week of {event.week_start} are ready: "
        "review and send them.",
        data={"week_start": event.week_start, "count": count},
    )


def includeme(config: Any) -> None:
    config.add_subscriber(tell_parents, [Committing, ReportSent])
    config.add_subscriber(tell_author, [Committing, ReportAcknowledged])
    config.add_subscriber(tell_tutor, [Committing, WeeklyReportsDrafted])
