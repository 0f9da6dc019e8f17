"""Sending a report tells the student's parents (in-app now, email after commit) when it is
shown to parents; a parent's acknowledgement tells the author."""

from __future__ import annotations

import dramatiq
import pytest
from pyramid.scripting import prepare
from sqlalchemy import select, update

from factories import ParentLinkFactory, StudentReportFactory
from thebot.assignments.models import StudentReport
from thebot.assignments.reports import service as reports
from thebot.errors import Conflict
from thebot.notifications.models import Notification


@pytest.fixture
def family(make_user, auth_headers):
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id}, first_name="Masha")
    mother = make_user("parent", email="mother@example.com")
    father = make_user("parent", email="father@example.com")
    away = make_user("parent", is_active=False)
    for parent in (mother, father, away):
        ParentLinkFactory(student=student, parent=parent)
    stranger = make_user("parent")
    return {
        "tutor": tutor,
        "student": student,
        "mother": mother,
        "father": father,
        "away": away,
        "stranger": stranger,
        "h": auth_headers(tutor),
        "mother_h": auth_headers(mother),
    }


def notes(dbsession, user, kind=None):
    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(dbsession.execute(stmt).scalars())


def emails(broker):
    return [dramatiq.Message.decode(m) for m in list(broker.queues["email"].queue)]


def draft(family, **kw):
    return StudentReportFactory(
        student_id=family["student"].id, author_id=family["tutor"].id, **kw
    )


def test_send_notifies_each_active_parent(testapp, dbsession, broker, family):
    report = draft(family)
    testapp.post_json(f"/api/reports/{report.id}/send/", {}, headers=family["h"])
    for parent in (family["mother"], family["father"]):
        [note] = notes(dbsession, parent)
        assert note.kind == "reports.sent"
        assert "Masha" in note.title
        assert note.data == {"report_id": report.id, "student_id": family["student"].id}
    assert notes(dbsession, family["away"]) == []
    assert notes(dbsession, family["stranger"]) == []
    assert notes(dbsession, family["student"]) == []
    assert sorted(m.args[0][0] for m in emails(broker)) == [
        "father@example.com",
        "mother@example.com",
    ]


def test_nothing_is_sent_when_hidden_from_parents(testapp, dbsession, broker, family):
    report = draft(family, show_to_parent=False)
    res = testapp.post_json(f"/api/reports/{report.id}/send/", {}, headers=family["h"])
    assert res.json["status"] == "sent"
    assert notes(dbsession, family["mother"]) == notes(dbsession, family["father"]) == []
    assert emails(broker) == []


def test_a_refused_send_notifies_nobody(testapp, dbsession, broker, family):
    report = draft(family, status="archived")
    testapp.post_json(f"/api/reports/{report.id}/send/", {}, headers=family["h"], status=409)
    assert notes(dbsession, family["mother"]) == []
    assert emails(broker) == []


def test_emails_leave_only_after_commit(app, dbsession, broker, family):
    """Through the service with a prepared request: nothing before commit, nothing on abort."""
    env = prepare(registry=app.registry)
    request = env["request"]
    try:
        report_id = draft(family).id
        dbsession.commit()  # the savepoint the factory wrote in; visible to the request
        request.tm.begin()
        report = request.dbsession.get(StudentReport, report_id)
        reports.send_report(request.dbsession, report)  # records ReportSent
        assert broker.queues["email"].qsize() == 0  # still inside the transaction
        request.tm.abort()
        assert emails(broker) == []
        request.tm.begin()
        report = request.dbsession.get(StudentReport, report_id)
        assert report.status == "draft"  # the abort undid the send
        reports.send_report(request.dbsession, report)  # records ReportSent
        assert broker.queues["email"].qsize() == 0
        request.tm.commit()
        assert len(emails(broker)) == 2
    finally:
        env["closer"]()


def test_acknowledging_tells_the_author(testapp, dbsession, broker, family):
    report = draft(family)
    testapp.post_json(f"/api/reports/{report.id}/send/", {}, headers=family["h"])
    testapp.post_json(f"/api/reports/{report.id}/acknowledge/", {}, headers=family["mother_h"])
    [note] = notes(dbsession, family["tutor"], "reports.acknowledged")
    assert note.data["report_id"] == report.id
    assert family["mother"].first_name in note.title


def test_a_send_that_lost_a_race_notifies_nobody(dbsession, family):
    """Another request sent the report after this one read it: 409, no second round."""
    report = draft(family)
    dbsession.execute(
        update(StudentReport)
        .where(StudentReport.id == report.id)
        .values(status="sent", sent_at=report.created_at)
        .execution_options(synchronize_session=False)
    )
    assert report.status == "draft"  # this request's stale copy
    with pytest.raises(Conflict) as raised:
        reports.send_report(dbsession, report)
    assert raised.value.status == 409
    assert report.status == "sent"  # refreshed for the problem body


def test_a_second_parent_acknowledging_concurrently_gets_409(app, dbsession, family):
    dbsession.info["registry"] = app.registry  # the service records ReportAcknowledged
    report = draft(family, status="sent")
    reports.acknowledge_report(dbsession, report, family["mother"])
    stale = draft(family, status="sent")
    dbsession.execute(
        update(StudentReport)
        .where(StudentReport.id == stale.id)
        .values(status="read", read_by_id=family["mother"].id)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(Conflict):
        reports.acknowledge_report(dbsession, stale, family["father"])
    dbsession.refresh(stale)
    assert stale.read_by_id == family["mother"].id
    assert (report.status, report.read_by_id) == ("read", family["mother"].id)
