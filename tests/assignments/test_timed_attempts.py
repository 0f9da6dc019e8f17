"""Timed attempts (``time_limit_minutes``) and the stored reason of a returned submission."""

from __future__ import annotations

import datetime as dt

from test_submissions import NOW, clock, klass, submit  # noqa: F401  (fixtures)

from thebot.assignments.models import AttemptStart

MINUTE = dt.timedelta(minutes=1)


def start(testapp, klass, assignment, who=None, status=201):
    return testapp.post_json(
        f"/api/assignments/{assignment.id}/start/",
        {},
        headers=klass.h(who or klass.student),
        status=status,
    )


def test_a_timed_attempt_must_be_started_first(testapp, klass):
    assignment = klass.assignment(time_limit_minutes=30)
    res = submit(testapp, klass, assignment, status=409)
    assert res.json["reason"] == "not_started"


def test_submitting_within_the_limit(testapp, klass, clock):
    assignment = klass.assignment(time_limit_minutes=30)
    body = start(testapp, klass, assignment).json
    assert body == {
        "attempt": 1,
        "started_at": NOW.isoformat(),
        "deadline": (NOW + 30 * MINUTE).isoformat(),
    }
    assert start(testapp, klass, assignment, status=200).json == body  # same clock again
    clock.move_to(NOW + 29 * MINUTE)
    assert submit(testapp, klass, assignment).json["attempt"] == 1


def test_submitting_after_the_limit_is_409(testapp, klass, clock, dbsession):
    assignment = klass.assignment(time_limit_minutes=30)
    start(testapp, klass, assignment)
    clock.move_to(NOW + 31 * MINUTE)
    assert submit(testapp, klass, assignment, status=409).json["reason"] == "time_limit_exceeded"
    assert dbsession.query(AttemptStart).filter_by(assignment_id=assignment.id).count() == 1


def test_each_attempt_has_its_own_clock(testapp, klass, clock):
    assignment = klass.assignment(time_limit_minutes=10, attempts_limit=2)
    start(testapp, klass, assignment)
    submit(testapp, klass, assignment)
    clock.move_to(NOW + 60 * MINUTE)
    body = start(testapp, klass, assignment).json
    assert body["attempt"] == 2 and body["deadline"] == (NOW + 70 * MINUTE).isoformat()
    assert submit(testapp, klass, assignment).json["attempt"] == 2


def test_untimed_assignments_cannot_be_started(testapp, klass):
    assignment = klass.assignment()
    assert start(testapp, klass, assignment, status=409).json["reason"] == "untimed"


def test_only_assigned_students_start(testapp, klass, make_user):
    assignment = klass.assignment(time_limit_minutes=30)
    start(testapp, klass, assignment, who=klass.teacher, status=403)
    start(testapp, klass, assignment, who=make_user("student"), status=404)


def test_the_return_reason_is_kept_on_the_submission(testapp, klass):
    assignment = klass.assignment(attempts_limit=2)
    submission = submit(testapp, klass, assignment).json
    res = testapp.post_json(
        f"/api/assignments/submissions/{submission['id']}/return/",
        {"reason": "Show your working"},
        headers=klass.h(klass.teacher),
    )
    assert res.json["status"] == "returned"
    assert res.json["return_reason"] == "Show your working"
