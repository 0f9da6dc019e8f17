"""The weekly actor: one draft per (tutor, student) for the previous ISO week, however often
it runs; figures computed; the tutor told once per run that drafted something."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from factories import StudentReportFactory, SubjectFactory
from thebot.assignments.models import StudentReport
from thebot.assignments.reports import tasks as report_tasks
from thebot.assignments.reports.tasks import (
    WEEKLY_CRON,
    WEEKLY_TASK,
    draft_weekly_reports,
    previous_iso_week,
)
from thebot.notifications.models import Notification
from thebot.scheduling.models import Lesson
from thebot.tasks.periodic import PeriodicTask

UTC = dt.timezone.utc
WEDNESDAY = dt.datetime(2026, 3, 11, 10, tzinfo=UTC)  # last week: 2026-03-02..03-08
LAST_MONDAY, LAST_SUNDAY = dt.date(2026, 3, 2), dt.date(2026, 3, 8)


@pytest.fixture
def pairs(make_user, dbsession):
    tutor1, tutor2 = make_user("tutor"), make_user("tutor")
    s1 = make_user("student", profile={"tutor_id": tutor1.id})
    s2 = make_user("student", profile={"tutor_id": tutor1.id})
    s3 = make_user("student", profile={"tutor_id": tutor2.id})
    make_user("student", is_active=False, profile={"tutor_id": tutor1.id})  # skipped
    make_user("student")  # no tutor
    gone = make_user("tutor", is_active=False)
    make_user("student", profile={"tutor_id": gone.id})  # an inactive tutor drafts nothing
    subject = SubjectFactory()
    for start, status in (
        (dt.datetime(2026, 3, 3, 15, tzinfo=UTC), "completed"),  # last week
        (dt.datetime(2026, 3, 5, 15, tzinfo=UTC), "cancelled"),  # last week
        (dt.datetime(2026, 3, 10, 15, tzinfo=UTC), "completed"),  # this week: not counted
    ):
        dbsession.add(
            Lesson(
                teacher_id=tutor1.id,
                student_id=s1.id,
                subject_id=subject.id,
                start_at=start,
                end_at=start + dt.timedelta(hours=1),
                status=status,
            )
        )
    dbsession.flush()
    return {"tutor1": tutor1, "tutor2": tutor2, "s1": s1, "s2": s2, "s3": s3}


def run_actor(app):
    """Run the actor as a worker would (its own request and transaction), synchronously."""
    return app.registry["task_actors"][WEEKLY_TASK]()


def weekly(dbsession):
    stmt = (
        select(StudentReport)
        .where(StudentReport.is_weekly_draft.is_(True))
        .order_by(StudentReport.author_id, StudentReport.student_id, StudentReport.period_start)
    )
    return list(dbsession.execute(stmt).scalars())


def keys(rows):
    return [(r.author_id, r.student_id, r.period_start) for r in rows]


@pytest.mark.parametrize(
    "today, monday",
    [
        (dt.date(2026, 3, 9), dt.date(2026, 3, 2)),  # a Monday: the week just ended
        (dt.date(2026, 3, 11), dt.date(2026, 3, 2)),
        (dt.date(2026, 3, 15), dt.date(2026, 3, 2)),  # a Sunday: its own week is not over
        (dt.date(2027, 1, 4), dt.date(2026, 12, 28)),  # across the new year
        (dt.date(2026, 1, 1), dt.date(2025, 12, 22)),  # ISO week 1 of 2026 starts 2025-12-29
    ],
)
def test_previous_iso_week(today, monday):
    assert previous_iso_week(today) == (monday, monday + dt.timedelta(days=6))
    assert monday.isoweekday() == 1


def test_the_actor_is_scheduled_weekly(app):
    assert PeriodicTask(WEEKLY_TASK, cron=WEEKLY_CRON) in app.registry["periodic_tasks"]
    assert WEEKLY_CRON == "0 6 * * 1"


def test_running_twice_drafts_one_report_per_pair(app, dbsession, pairs):
    with time_machine.travel(WEDNESDAY, tick=False):
        assert run_actor(app) == 3
        assert run_actor(app) == 0
    dbsession.expire_all()
    rows = weekly(dbsession)
    t1, t2 = pairs["tutor1"].id, pairs["tutor2"].id
    assert keys(rows) == [
        (t1, pairs["s1"].id, LAST_MONDAY),
        (t1, pairs["s2"].id, LAST_MONDAY),
        (t2, pairs["s3"].id, LAST_MONDAY),
    ]
    for row in rows:
        assert (row.status, row.period_end, row.type) == ("draft", LAST_SUNDAY, "progress")
        assert row.show_to_parent is True
    s1_report = rows[0]
    assert s1_report.figures["lessons_held"] == 1
    assert s1_report.figures["lessons_cancelled"] == 1
    assert "1 held, 1 cancelled" in s1_report.summary
    assert rows[1].figures["lessons_held"] == 0


def test_tutors_are_told_once(app, dbsession, pairs):
    with time_machine.travel(WEDNESDAY, tick=False):
        run_actor(app)
        run_actor(app)
    stmt = select(Notification).where(Notification.kind == "reports.weekly_drafted")
    notes = {n.user_id: n for n in dbsession.execute(stmt).scalars()}
    assert set(notes) == {pairs["tutor1"].id, pairs["tutor2"].id}
    assert notes[pairs["tutor1"].id].data == {"week_start": "2026-03-02", "count": 2}
    assert notes[pairs["tutor1"].id].title == "2 weekly summaries to review"
    assert notes[pairs["tutor2"].id].title == "1 weekly summary to review"


def test_a_discarded_or_sent_summary_is_not_drafted_again(app, dbsession, pairs):
    with time_machine.travel(WEDNESDAY, tick=False):
        run_actor(app)
        dbsession.expire_all()
        first, second, _ = weekly(dbsession)
        first.status = "archived"
        second.status, second.sent_at = "sent", WEDNESDAY
        dbsession.flush()
        assert run_actor(app) == 0
    dbsession.expire_all()
    assert len(weekly(dbsession)) == 3


def test_each_week_gets_its_own_drafts(app, dbsession, pairs):
    with time_machine.travel(WEDNESDAY, tick=False):
        run_actor(app)
    with time_machine.travel(WEDNESDAY + dt.timedelta(days=7), tick=False):
        assert run_actor(app) == 3
    dbsession.expire_all()
    weeks = sorted({r.period_start for r in weekly(dbsession)})
    assert weeks == [LAST_MONDAY, LAST_MONDAY + dt.timedelta(days=7)]


def test_a_concurrent_run_that_wins_the_race_is_skipped(dbsession, pairs, monkeypatch):
    """Between the check and the insert another run drafts (tutor1, s1): the index decides."""
    real = report_tasks.compute_many

    def racing(session, student_ids, start, end):
        StudentReportFactory(
            author_id=pairs["tutor1"].id,
            student_id=pairs["s1"].id,
            period_start=start,
            period_end=end,
            is_weekly_draft=True,
        )
        session.flush()
        return real(session, student_ids, start, end)

    monkeypatch.setattr(report_tasks, "compute_many", racing)
    drafted = draft_weekly_reports(dbsession, WEDNESDAY.date())
    assert sorted(r.student_id for r in drafted) == [pairs["s2"].id, pairs["s3"].id]
    assert len(weekly(dbsession)) == 3


def test_the_index_allows_one_weekly_draft_per_author_student_week(dbsession, pairs):
    key = {"author_id": pairs["tutor1"].id, "student_id": pairs["s1"].id}
    StudentReportFactory(**key, is_weekly_draft=True)
    StudentReportFactory(**key, is_weekly_draft=False)  # hand-written reports are free
    StudentReportFactory(**key, is_weekly_draft=False)
    with pytest.raises(IntegrityError), dbsession.begin_nested():
        StudentReportFactory(**key, is_weekly_draft=True)


def test_an_explicit_day_drafts_the_week_before_it(app, dbsession, pairs):
    actor = app.registry["task_actors"][WEEKLY_TASK]
    assert actor(today="2026-03-04") == 3  # the week of 2026-02-23
    dbsession.expire_all()
    assert {r.period_start for r in weekly(dbsession)} == {dt.date(2026, 2, 23)}
