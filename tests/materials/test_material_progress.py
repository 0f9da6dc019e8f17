"""Progress on a material: clamped, monotonic, completion, accumulated time, who writes and
who reads, and the student's profile statistics."""

from __future__ import annotations

import datetime as dt

import pytest
from materials_support import (  # noqa: F401
    enroll,
    make_subject,
    mark_dashboards,
    material_url,
    school_fixture,
    teach,
)

from factories import MaterialFactory, MaterialProgressFactory, UserFactory
from thebot.accounts.models import StudentProfile
from thebot.materials.models import MaterialProgress
from thebot.materials.progress.service import next_streak, record_progress, refresh_student_stats

UTC = dt.timezone.utc


def post(testapp, school, material, body, user=None, status=200):
    return testapp.post_json(
        material_url(material, "progress/"),
        body,
        headers=school.headers(user or school.enrolled),
        status=status,
    )


def test_percentage_is_clamped_and_never_decreases(testapp, school):
    material = school.material()
    assert post(testapp, school, material, {"percentage": 30}).json["percentage"] == 30
    assert post(testapp, school, material, {"percentage": 20}).json["percentage"] == 30
    assert post(testapp, school, material, {"percentage": -5}).json["percentage"] == 30
    body = post(testapp, school, material, {"percentage": 70}).json
    assert body["percentage"] == 70 and body["is_completed"] is False
    assert body["completed_at"] is None


def test_reaching_100_completes_once(testapp, school):
    material = school.material()
    done = post(testapp, school, material, {"percentage": 250}).json
    assert done["percentage"] == 100 and done["is_completed"] is True
    assert done["completed_at"] is not None
    again = post(testapp, school, material, {"percentage": 10, "time_spent_seconds": 5}).json
    assert again["percentage"] == 100 and again["is_completed"] is True
    assert again["completed_at"] == done["completed_at"]


def test_time_spent_accumulates(testapp, school):
    material = school.material()
    post(testapp, school, material, {"time_spent_seconds": 60})
    body = post(testapp, school, material, {"time_spent_seconds": 30, "percentage": 5}).json
    assert body["time_spent_seconds"] == 90 and body["percentage"] == 5
    assert body["student"]["id"] == school.enrolled.id and body["material_id"] == material.id


@pytest.mark.parametrize(
    "body",
    [
        {"time_spent_seconds": -1},
        {"time_spent_seconds": 86401},
        {"time_spent_seconds": "10"},
        {"percentage": 12.5},
        {"percentage": "50"},
        {"percentage": True},
        {"percentage": None},
        {"percent": 5},
    ],
)
def test_bad_reports_are_400_and_change_nothing(testapp, school, body):
    material = school.material()
    response = post(testapp, school, material, body, status=400)
    assert response.content_type == "application/problem+json"
    assert school.dbsession.query(MaterialProgress).count() == 0


def test_only_students_write_their_own_progress(testapp, school):
    material = school.material(is_public=True)
    for user in (school.teacher, school.admin, school.enrolled_parent, school.tutor):
        post(testapp, school, material, {"percentage": 50}, user=user, status=403)
    post(testapp, school, material, {"percentage": 50}, user=school.stranger)  # public: own row
    hidden = school.material(assign=False, status="draft")
    post(testapp, school, hidden, {"percentage": 50}, status=404)


def test_who_reads_which_rows(testapp, school):
    material = school.material(is_public=True)
    for student, percentage in (
        (school.enrolled, 10),
        (school.assigned, 20),
        (school.stranger, 30),
    ):
        MaterialProgressFactory(
            material_id=material.id, student_id=student.id, percentage=percentage
        )

    def seen(user):
        page = testapp.get(material_url(material, "progress/"), headers=school.headers(user))
        return {row["student"]["id"]: row["percentage"] for row in page.json["items"]}

    everyone = {school.enrolled.id: 10, school.assigned.id: 20, school.stranger.id: 30}
    assert seen(school.admin) == everyone
    assert seen(school.enrolled) == {school.enrolled.id: 10}
    assert seen(school.stranger) == {school.stranger.id: 30}
    assert seen(school.enrolled_parent) == {school.enrolled.id: 10}
    assert seen(school.assigned_parent) == {school.assigned.id: 20}
    assert seen(school.teacher) == {school.enrolled.id: 10}  # teaches them (enrollment)
    assert seen(school.tutor) == {school.assigned.id: 20}  # their tutee
    assert seen(school.stranger_teacher) == {}
    assert seen(school.stranger_parent) == {}
    filtered = testapp.get(
        material_url(material, "progress/"),
        {"student": school.assigned.id},
        headers=school.headers(school.admin),
    )
    assert [r["student"]["id"] for r in filtered.json["items"]] == [school.assigned.id]


def test_progress_list_query_count_is_constant(testapp, school, make_user, queries_for_1_and_30):
    material = school.material(is_public=True)
    headers = school.headers(school.admin)

    def add(n):
        for _ in range(n):
            MaterialProgressFactory(material_id=material.id, student_id=make_user("student").id)

    url = material_url(material, "progress/")
    queries_for_1_and_30(add, lambda: testapp.get(url, headers=headers).json["items"])


# --- statistics -----------------------------------------------------------------------------


def stats(dbsession, student):
    profile = dbsession.get(StudentProfile, student.id)
    dbsession.refresh(profile)
    return profile.progress_percent, profile.points, profile.streak_days


def test_progress_percent_is_the_mean_over_the_learning_set(testapp, school):
    enrolled_a = school.material(assign=False)  # in the enrolled subject
    school.material(assign=False)  # also counts, not started: 0 %
    school.material(assign=False, status="draft")  # drafts do not count
    public = MaterialFactory(status="active", is_public=True)  # counts once started
    MaterialFactory(status="active", is_public=True)  # never opened: does not count
    post(testapp, school, enrolled_a, {"percentage": 100})
    assert stats(school.dbsession, school.enrolled)[0] == 50  # (100 + 0) / 2
    post(testapp, school, public, {"percentage": 40})
    assert stats(school.dbsession, school.enrolled)[0] == 47  # (100 + 0 + 40) / 3 = 46.7


def test_points_count_tenths_and_completions(testapp, school):
    a, b = school.material(assign=False), school.material(assign=False)
    post(testapp, school, a, {"percentage": 100})  # 10 + 10
    post(testapp, school, b, {"percentage": 37})  # 3
    assert stats(school.dbsession, school.enrolled)[1] == 23


def test_archiving_a_material_refreshes_the_stats(testapp, school):
    a, b = school.material(assign=False), school.material(assign=False)
    post(testapp, school, a, {"percentage": 100})
    assert stats(school.dbsession, school.enrolled)[0] == 50
    testapp.patch_json(
        material_url(b), {"status": "archived"}, headers=school.headers(school.teacher)
    )
    assert stats(school.dbsession, school.enrolled)[:2] == (100, 20)
    testapp.delete(material_url(a), headers=school.headers(school.teacher), status=204)
    assert stats(school.dbsession, school.enrolled)[:2] == (0, 20)  # points are kept


def test_streak_counts_consecutive_days_with_progress(dbsession, school):
    student, material = school.enrolled, school.material(assign=False)
    other = school.material(assign=False)
    day = dt.datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    record_progress(dbsession, student, material, percentage=5, now=day)
    assert stats(dbsession, student)[2] == 1
    record_progress(dbsession, student, other, percentage=5, now=day + dt.timedelta(minutes=40))
    assert stats(dbsession, student)[2] == 2  # 00:10 UTC: the next day
    record_progress(
        dbsession, student, material, time_spent_seconds=5, now=day + dt.timedelta(hours=5)
    )
    assert stats(dbsession, student)[2] == 2  # same day again
    record_progress(dbsession, student, material, percentage=6, now=day + dt.timedelta(days=2))
    assert stats(dbsession, student)[2] == 3
    record_progress(dbsession, student, material, percentage=7, now=day + dt.timedelta(days=5))
    assert stats(dbsession, student)[2] == 1  # a gap starts again


def test_next_streak_rules():
    now = dt.datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert next_streak(0, None, now) == 1
    assert next_streak(4, now - dt.timedelta(hours=3), now) == 4
    assert next_streak(0, now - dt.timedelta(hours=3), now) == 1
    assert next_streak(4, now - dt.timedelta(days=1), now) == 5
    assert next_streak(4, now - dt.timedelta(days=2), now) == 1
    moscow = dt.timezone(dt.timedelta(hours=3))
    assert next_streak(4, dt.datetime(2026, 3, 10, 1, tzinfo=moscow), now) == 5  # UTC days


def test_refresh_skips_students_without_a_profile(dbsession, school):
    material = school.material(assign=False)
    bare = UserFactory(role="student")  # no StudentProfile row
    refresh_student_stats(dbsession, [school.enrolled.id, bare.id, 123456789])
    refresh_student_stats(dbsession, [])
    MaterialProgressFactory(material_id=material.id, student_id=school.enrolled.id, percentage=60)
    refresh_student_stats(dbsession, [school.enrolled.id])
    assert stats(dbsession, school.enrolled)[:2] == (60, 6)


def test_negative_time_is_refused_by_the_service(dbsession, school):
    with pytest.raises(ValueError):
        record_progress(dbsession, school.enrolled, school.material(), time_spent_seconds=-1)


def test_every_actively_enrolled_subject_counts(dbsession, school):
    second = make_subject(dbsession)
    teach(dbsession, school.teacher, second)
    enroll(dbsession, school.enrolled, second, school.teacher)
    first = school.material(assign=False)
    school.material(assign=False, subject_id=second.id)
    record_progress(dbsession, school.enrolled, first, percentage=100)
    assert stats(dbsession, school.enrolled)[0] == 50


def test_progress_invalidates_the_dashboards_that_show_it(testapp, app, school):
    material = school.material(assign=False)
    watchers = [school.enrolled, school.enrolled_parent, school.teacher]
    invalidated = mark_dashboards(app, [*watchers, school.stranger])
    post(testapp, school, material, {"percentage": 10})
    assert invalidated() == {u.id for u in watchers}


def test_dropping_an_enrollment_refreshes_the_stats(testapp, school):
    from sqlalchemy import select

    from thebot.catalog.models import Enrollment

    a = school.material(assign=False)
    school.material(assign=False)
    post(testapp, school, a, {"percentage": 100})
    assert stats(school.dbsession, school.enrolled)[0] == 50
    enrollment = school.dbsession.scalar(
        select(Enrollment).where(Enrollment.student_id == school.enrolled.id)
    )
    testapp.patch_json(
        f"/api/materials/enrollments/{enrollment.id}/",
        {"status": "dropped"},
        headers=school.headers(school.teacher),
    )
    assert stats(school.dbsession, school.enrolled)[0] == 0  # nothing left to learn there
    testapp.patch_json(  # the teacher no longer teaches them: an admin brings them back
        f"/api/materials/enrollments/{enrollment.id}/",
        {"status": "active"},
        headers=school.headers(school.admin),
    )
    assert stats(school.dbsession, school.enrolled)[0] == 50
