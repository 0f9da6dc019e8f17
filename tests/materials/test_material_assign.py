"""``POST /api/materials/{id}/assign/``: only students the caller teaches (admins: any),
idempotent, audited, and the assigned students see (and are counted for) the material."""

from __future__ import annotations

from materials_support import (  # noqa: F401
    make_subject,
    mark_dashboards,
    material_url,
    school_fixture,
    teach,
)
from sqlalchemy import select

from factories import MaterialProgressFactory
from thebot.accounts.models import StudentProfile
from thebot.audit import AuditEvent
from thebot.materials.models import MaterialAssignment


def assigned_ids(dbsession, material):
    return set(
        dbsession.scalars(
            select(MaterialAssignment.student_id).where(
                MaterialAssignment.material_id == material.id
            )
        )
    )


def assign(testapp, school, material, student_ids, user=None, status=200):
    return testapp.post_json(
        material_url(material, "assign/"),
        {"student_ids": student_ids},
        headers=school.headers(user or school.teacher),
        status=status,
    )


def test_teacher_assigns_own_student_and_it_is_audited(testapp, school):
    material = school.material(assign=False)
    body = assign(testapp, school, material, [school.enrolled.id]).json
    assert body == {
        "material_id": material.id,
        "assigned": [school.enrolled.id],
        "already_assigned": [],
        "student_ids": [school.enrolled.id],
    }
    [event] = school.dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "material.assigned")
    )
    assert event.actor_id == school.teacher.id
    assert event.target_type == "material" and event.target_id == str(material.id)
    assert event.details["student_ids"] == [school.enrolled.id]


def test_assigning_again_is_idempotent(testapp, school):
    material = school.material(assign=False)
    assign(testapp, school, material, [school.enrolled.id])
    body = assign(testapp, school, material, [school.enrolled.id, school.enrolled.id]).json
    assert body["assigned"] == [] and body["already_assigned"] == [school.enrolled.id]
    events = school.dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "material.assigned")
    ).all()
    assert len(events) == 1  # nothing changed the second time


def test_tutor_assigns_their_tutee(testapp, school):
    teach(school.dbsession, school.tutor, school.subject)
    material = school.material(assign=False, author_id=school.tutor.id)
    assign(testapp, school, material, [school.assigned.id], user=school.tutor)
    assert assigned_ids(school.dbsession, material) == {school.assigned.id}


def test_students_the_caller_does_not_teach_are_refused_all_together(testapp, school, make_user):
    material = school.material(assign=False)
    inactive = make_user("student", is_active=False)
    response = assign(
        testapp,
        school,
        material,
        [school.enrolled.id, school.stranger.id, school.enrolled_parent.id, inactive.id, 99999],
        status=400,
    )
    refused = [e["description"] for e in response.json["errors"]]
    assert len(refused) == 4
    for user_id in (school.stranger.id, school.enrolled_parent.id, inactive.id, 99999):
        assert any(d.endswith(f": {user_id}") for d in refused)
    assert assigned_ids(school.dbsession, material) == set()  # nothing half-done


def test_admin_assigns_any_active_student(testapp, school):
    material = school.material(assign=False)
    assign(testapp, school, material, [school.stranger.id], user=school.admin)
    assert assigned_ids(school.dbsession, material) == {school.stranger.id}


def test_body_is_validated(testapp, school):
    material = school.material(assign=False)
    for body in ({"student_ids": []}, {"student_ids": ["x"]}, {}, {"student_ids": 5},
                 {"student_ids": [school.enrolled.id], "extra": 1}):  # fmt: skip
        testapp.post_json(
            material_url(material, "assign/"),
            body,
            headers=school.headers(school.teacher),
            status=400,
        )


def test_assigned_student_sees_the_material_once_it_is_active(testapp, school):
    material = school.material(assign=False, status="draft")
    assign(testapp, school, material, [school.stranger.id], user=school.admin)
    headers = school.headers(school.stranger)
    testapp.get(material_url(material), headers=headers, status=404)
    testapp.patch_json(
        material_url(material), {"status": "active"}, headers=school.headers(school.teacher)
    )
    testapp.get(material_url(material), headers=headers, status=200)


def test_assignment_updates_the_students_progress_percent(testapp, school):
    done = school.material(assign=False)
    MaterialProgressFactory(material_id=done.id, student_id=school.enrolled.id, percentage=100)
    profile = school.dbsession.get(StudentProfile, school.enrolled.id)
    testapp.post_json(
        material_url(done, "progress/"),
        {"percentage": 100},
        headers=school.headers(school.enrolled),
    )
    school.dbsession.refresh(profile)
    assert profile.progress_percent == 100
    elsewhere = school.material(assign=False, subject_id=_other_subject(school).id)
    assign(testapp, school, elsewhere, [school.enrolled.id], user=school.admin)
    school.dbsession.refresh(profile)
    assert profile.progress_percent == 50  # one of two materials done


def _other_subject(school):
    subject = make_subject(school.dbsession)
    teach(school.dbsession, school.teacher, subject)
    return subject


def test_assignment_invalidates_the_students_dashboards(testapp, app, school):
    material = school.material(assign=False)
    invalidated = mark_dashboards(app, [school.enrolled, school.enrolled_parent, school.stranger])
    assign(testapp, school, material, [school.enrolled.id])
    assert invalidated() == {school.enrolled.id, school.enrolled_parent.id}
