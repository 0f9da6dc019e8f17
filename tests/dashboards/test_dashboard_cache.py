"""The dashboard cache: hits, invalidation after commit (never after an abort), generations
that make a racing stale body unservable, audiences of writes, and a cache that is down."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
import time_machine
import transaction

from factories import EnrollmentFactory, ParentLinkFactory, SubjectFactory, TeacherSubjectFactory
from thebot.dashboards import cache as dc
from thebot.materials.models import Material, MaterialAssignment, MaterialProgress

STUDENT = "/api/dashboard/student/"
PARENT = "/api/dashboard/parent/"
TEACHER = "/api/dashboard/teacher/"
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def fresh_dashboards(app):
    dc.bump_generations(app.registry, (), everyone=True)


@pytest.fixture
def w(make_user, dbsession, auth_headers):
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id})
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    teacher = make_user("teacher")
    subject = SubjectFactory(name="Algebra")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=subject.id)
    dbsession.flush()
    return SimpleNamespace(
        admin=make_user("admin"),
        tutor=tutor,
        student=student,
        parent=parent,
        teacher=teacher,
        subject=subject,
        h=auth_headers,
    )


def subjects_of(testapp, w, user=None, url=STUDENT):
    body = testapp.get(url, headers=w.h(user or w.student)).json
    return body["sections"]


class FakeRequest:
    def __init__(self, registry, tm, dbsession=None):
        self.registry, self.tm, self.dbsession = registry, tm, dbsession


def served(app, user, role, build):
    """The body ``cached_dashboard`` answers with, decoded (it keeps bodies encoded)."""
    data, etag = dc.cached_dashboard(app.registry, user, role, build)
    assert etag
    return json.loads(data)


def generation(app, user_id):
    return dc.region_of(app.registry).get(dc.gen_key(user_id), ignore_expiration=True)


# --- hits ---------------------------------------------------------------------------------


def test_a_second_read_is_served_from_the_cache(testapp, dbsession, w, count_queries):
    with count_queries() as first:
        body = testapp.get(STUDENT, headers=w.h(w.student)).json
    with count_queries() as second:
        again = testapp.get(STUDENT, headers=w.h(w.student)).json
    assert again == body
    assert second.count < first.count


def test_a_change_without_invalidation_stays_cached_until_invalidated(testapp, app, dbsession, w):
    assert subjects_of(testapp, w)["subjects"] == []
    EnrollmentFactory(student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id)
    dbsession.flush()
    assert subjects_of(testapp, w)["subjects"] == []  # cached
    dc.bump_generations(app.registry, [w.student.id])
    assert len(subjects_of(testapp, w)["subjects"]) == 1


def test_entries_older_than_the_region_expiration_are_rebuilt(testapp, dbsession, w):
    assert subjects_of(testapp, w)["subjects"] == []
    EnrollmentFactory(student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id)
    dbsession.flush()
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=59)):
        assert subjects_of(testapp, w)["subjects"] == []
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=61)):
        assert len(subjects_of(testapp, w)["subjects"]) == 1


# --- invalidation by the API's own writes ------------------------------------------------


def test_enrolling_refreshes_the_student_parent_tutor_and_teacher_dashboards(testapp, w):
    assert subjects_of(testapp, w)["subjects"] == []
    assert subjects_of(testapp, w, w.parent, PARENT)["children"][0]["subjects"] == []
    assert subjects_of(testapp, w, w.teacher, TEACHER)["subjects"][0]["students"] == []
    assert (
        subjects_of(testapp, w, w.tutor, "/api/dashboard/tutor/")["students"]["items"][0][
            "subjects"
        ]
        == []
    )
    testapp.post_json(
        "/api/materials/enrollments/",
        {"student_id": w.student.id, "subject_id": w.subject.id, "teacher_id": w.teacher.id},
        headers=w.h(w.admin),
        status=201,
    )
    assert len(subjects_of(testapp, w)["subjects"]) == 1
    assert len(subjects_of(testapp, w, w.parent, PARENT)["children"][0]["subjects"]) == 1
    assert len(subjects_of(testapp, w, w.teacher, TEACHER)["subjects"][0]["students"]) == 1
    tutor = subjects_of(testapp, w, w.tutor, "/api/dashboard/tutor/")
    assert len(tutor["students"]["items"][0]["subjects"]) == 1


def test_ending_an_enrollment_refreshes_the_old_teachers_dashboard(testapp, dbsession, w):
    e = EnrollmentFactory(
        student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id
    )
    dbsession.flush()
    assert len(subjects_of(testapp, w, w.teacher, TEACHER)["subjects"][0]["students"]) == 1
    testapp.patch_json(
        f"/api/materials/enrollments/{e.id}/", {"status": "dropped"}, headers=w.h(w.teacher)
    )
    assert subjects_of(testapp, w, w.teacher, TEACHER)["subjects"][0]["students"] == []


def test_renaming_a_subject_refreshes_every_dashboard(testapp, dbsession, w):
    EnrollmentFactory(student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id)
    dbsession.flush()
    assert subjects_of(testapp, w)["subjects"][0]["subject"]["name"] == "Algebra"
    testapp.patch_json(
        f"/api/materials/subjects/{w.subject.id}/", {"name": "Algebra I"}, headers=w.h(w.admin)
    )
    assert subjects_of(testapp, w)["subjects"][0]["subject"]["name"] == "Algebra I"


def test_assigning_a_teacher_refreshes_their_dashboard(testapp, w, make_user):
    teacher = make_user("teacher")
    assert subjects_of(testapp, w, teacher, TEACHER)["subjects"] == []
    testapp.post_json(
        f"/api/materials/subjects/{w.subject.id}/teachers/",
        {"teacher_id": teacher.id},
        headers=w.h(w.admin),
        status=201,
    )
    assert [
        s["subject"]["name"] for s in subjects_of(testapp, w, teacher, TEACHER)["subjects"]
    ] == ["Algebra"]


def test_a_refused_write_invalidates_nothing(testapp, app, dbsession, w):
    EnrollmentFactory(student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id)
    dbsession.flush()
    before = generation(app, w.student.id)
    testapp.post_json(
        "/api/materials/enrollments/",
        {"student_id": w.student.id, "subject_id": w.subject.id, "teacher_id": w.teacher.id},
        headers=w.h(w.admin),
        status=409,
    )
    assert generation(app, w.student.id) == before


# --- the helpers, directly ---------------------------------------------------------------


def test_bumps_wait_for_the_commit_and_an_abort_bumps_nothing(app):
    tm = transaction.TransactionManager(explicit=True)
    request = FakeRequest(app.registry, tm)
    dc.bump_generations(app.registry, [424242])
    start = generation(app, 424242)
    tm.begin()
    dc.invalidate_dashboards(request, [424242, None])
    assert generation(app, 424242) == start  # not before the commit
    tm.abort()
    assert generation(app, 424242) == start
    tm.begin()
    dc.invalidate_dashboards(request, [424242])
    dc.invalidate_dashboards(request, [424243])
    tm.commit()
    assert generation(app, 424242) != start


def test_without_a_transaction_the_bump_is_immediate(app):
    request = FakeRequest(app.registry, transaction.TransactionManager(explicit=True))
    before = dc.region_of(app.registry).get(dc.GEN_ALL, ignore_expiration=True)
    dc.invalidate_dashboards(request, [515151])
    assert generation(app, 515151) is not dc.NO_VALUE
    dc.invalidate_all_dashboards(request)
    assert dc.region_of(app.registry).get(dc.GEN_ALL, ignore_expiration=True) != before


def test_a_body_computed_before_a_bump_is_never_served(app, w):
    """A slow reader read the generations, a write committed and bumped, then the reader
    stored what it computed from the old data: the next read must not serve it."""
    region = dc.region_of(app.registry)
    calls = []

    def build():
        calls.append(1)
        if len(calls) == 1:  # the write commits while the first reader computes
            dc.bump_generations(app.registry, [w.student.id])
            return {"stale": True}
        return {"stale": False}

    assert served(app, w.student, "student", build) == {"stale": True}
    stored = region.get(dc.view_key(w.student.id), ignore_expiration=True)
    assert json.loads(stored["body"]) == {"stale": True}
    assert served(app, w.student, "student", build) == {"stale": False}
    assert served(app, w.student, "student", build) == {"stale": False}
    assert len(calls) == 2


def test_a_body_of_another_role_is_not_served(app, w):
    served(app, w.student, "student", lambda: {"as": "student"})
    assert served(app, w.student, "parent", lambda: {"as": "parent"}) == {"as": "parent"}


class BrokenRegion:
    expiration_time = 60

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_a_cache_that_is_down_never_fails_a_request(app, w, monkeypatch, caplog):
    from thebot.outages import OUTAGES

    OUTAGES.reset()
    monkeypatch.setitem(app.registry["cache_regions"], "dashboard", BrokenRegion())
    dc.bump_generations(app.registry, [w.student.id])  # logged, not raised
    assert "1 dashboard(s) not invalidated" in caplog.text
    # The outage is logged once; the failures after it are counted (thebot.outages).
    assert served(app, w.student, "student", lambda: {"ok": 1}) == {"ok": 1}
    assert caplog.text.count("dashboard cache unavailable") == 1
    OUTAGES.reset()


def test_dashboards_are_served_while_the_cache_is_down(testapp, app, w, monkeypatch):
    monkeypatch.setitem(app.registry["cache_regions"], "dashboard", BrokenRegion())
    assert testapp.get(STUDENT, headers=w.h(w.student)).json["role"] == "student"


def test_audiences_of_students_materials_and_subjects(dbsession, w, make_user):
    other_teacher, author = make_user("teacher"), make_user("teacher")
    TeacherSubjectFactory(teacher_id=author.id, subject_id=w.subject.id, is_active=False)
    EnrollmentFactory(student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id)
    EnrollmentFactory(student_id=w.student.id, teacher_id=other_teacher.id, status="completed")
    watched = {w.student.id, w.parent.id, w.tutor.id, w.teacher.id}
    assert dc.dashboard_audience(dbsession, student_ids=[w.student.id]) == watched
    assert dc.dashboard_audience(dbsession) == set()

    material = Material(
        title="Fractions", author_id=author.id, subject_id=w.subject.id, type="lesson"
    )
    dbsession.add(material)
    dbsession.flush()
    lone = make_user("student")
    progressed = make_user("student")
    dbsession.add(MaterialAssignment(material_id=material.id, student_id=lone.id))
    dbsession.add(
        MaterialProgress(
            material_id=material.id, student_id=progressed.id, percentage=5, last_accessed_at=T0
        )
    )
    dbsession.flush()
    assert dc.dashboard_audience(dbsession, material_ids=[material.id]) == {
        author.id,
        w.teacher.id,  # active teacher of the subject
        lone.id,
        progressed.id,
    }
    assert dc.dashboard_audience(dbsession, subject_ids=[w.subject.id]) == watched
    assert dc.dashboard_audience(
        dbsession, student_ids=[lone.id], subject_ids=[w.subject.id]
    ) == watched | {lone.id}


def test_invalidate_for_bumps_the_whole_audience_after_commit(app, dbsession, w):
    EnrollmentFactory(student_id=w.student.id, subject_id=w.subject.id, teacher_id=w.teacher.id)
    dbsession.flush()
    people = [w.student.id, w.parent.id, w.tutor.id, w.teacher.id, w.admin.id]
    dc.bump_generations(app.registry, people)
    before = {uid: generation(app, uid) for uid in people}
    tm = transaction.TransactionManager(explicit=True)
    tm.begin()
    dc.invalidate_dashboards_for(
        FakeRequest(app.registry, tm, dbsession), student_ids=[w.student.id], user_ids=[w.admin.id]
    )
    tm.commit()
    assert all(generation(app, uid) != before[uid] for uid in people)
