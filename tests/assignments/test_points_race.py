"""A student's points have two writers: grading (the graded share) and every recomputation
of the progress share (progress, enrollments, material changes). Each locks the profile
before it reads anything, so one that waits on the other's lock computes with the other's
committed figures instead of writing back a total computed without them.

Only on PostgreSQL, where the two transactions really overlap (the app's SQLite sessions
take the write lock before their first read, so writers queue whole). The app has its own
scratch database, since both transactions must commit for real.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
import time
from decimal import Decimal

import pytest

from factories import (
    AssignmentFactory,
    AssignmentSubmissionFactory,
    MaterialFactory,
    MaterialProgressFactory,
    UserFactory,
    factories_bound_to,
)
from thebot.accounts.models import StudentProfile, User
from thebot.assignments.models import Assignment, AssignmentSubmission
from thebot.assignments.submissions import grading
from thebot.materials.progress.service import refresh_student_stats

pytestmark = pytest.mark.skipif(
    not os.environ.get("THEBOT_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL: SQLite runs the app's writers one after the other",
)


@pytest.fixture(scope="module")
def own_app(make_app, scratch_database_url):
    app = make_app(own_engine=True, database_url=scratch_database_url, auto_migrate="true")
    yield app
    app.registry["dbengine"].dispose()


def test_a_refresh_waiting_on_a_grade_keeps_the_graded_share(own_app):
    # Sessions that know the app's registry: its points sources (the graded share).
    sessions = functools.partial(
        own_app.registry["dbsession_factory"], info={"registry": own_app.registry}
    )
    with sessions() as session, session.begin(), factories_bound_to(session):
        student = UserFactory(role="student")
        session.add(StudentProfile(user_id=student.id))
        teacher = UserFactory(role="teacher")
        material = MaterialFactory(status="active", is_public=True, author_id=teacher.id)
        MaterialProgressFactory(student_id=student.id, material_id=material.id, percentage=50)
        assignment = AssignmentFactory(author_id=teacher.id, max_score=Decimal("100"))
        submission = AssignmentSubmissionFactory(
            assignment_id=assignment.id, student_id=student.id
        )
        ids = (student.id, teacher.id, assignment.id, submission.id)
    student_id, teacher_id, assignment_id, submission_id = ids
    with sessions() as session, session.begin():
        refresh_student_stats(session, [student_id])
    grader = sessions()
    grader.begin()
    grading.grade_submission(
        grader,
        grader.get(Assignment, assignment_id),
        grader.get(AssignmentSubmission, submission_id),
        grader.get(User, teacher_id),
        score=Decimal("80"),
        now=dt.datetime.now(dt.timezone.utc),
    )
    assert grader.get(StudentProfile, student_id).points == 85  # 5 + 80, not committed yet
    errors: list[BaseException] = []

    def other_writer() -> None:  # an enrollment or material change refreshing the stats
        try:
            with sessions() as session, session.begin():
                refresh_student_stats(session, [student_id])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=other_writer)
    thread.start()
    time.sleep(0.5)  # it is now waiting for the grader's lock on the profile
    grader.commit()
    grader.close()
    thread.join(timeout=10)
    assert not errors and not thread.is_alive()
    with sessions() as session:
        assert session.get(StudentProfile, student_id).points == 85
