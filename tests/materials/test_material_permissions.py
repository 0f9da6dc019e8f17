"""Who creates, edits and deletes materials: teachers/tutors of the subject and admins write;
the author or an admin deletes. Seen-but-not-allowed is a 403; unseen is a 404."""

from __future__ import annotations

import pytest
from materials_support import API, make_subject, material_url, school_fixture, teach  # noqa: F401
from sqlalchemy import update

from factories import MaterialCommentFactory, MaterialSubmissionFactory
from media_samples import pdf_bytes
from thebot.catalog.models import TeacherSubject
from thebot.materials.models import Material


def new_material(subject_id, **extra):
    return {"title": "Fractions", "subject_id": subject_id, "type": "lesson", **extra}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 201),
        ("teacher", 201),
        ("colleague", 201),
        ("tutor_of_subject", 201),
        ("stranger_teacher", 403),
        ("tutor", 403),  # a tutor, but not of this subject
        ("enrolled", 403),
        ("enrolled_parent", 403),
    ],
)
def test_who_creates_materials_in_a_subject(testapp, school, make_user, who, status):
    if who == "tutor_of_subject":
        user = make_user("tutor")
        teach(school.dbsession, user, school.subject)
    else:
        user = getattr(school, who)
    response = testapp.post_json(
        API, new_material(school.subject.id), headers=school.headers(user), status=status
    )
    if status == 201:
        assert response.json["author"]["id"] == user.id
        assert response.headers["Location"].endswith(material_url(response.json["id"]))
    else:
        assert response.content_type == "application/problem+json"


def test_anonymous_cannot_create(testapp, school):
    testapp.post_json(API, new_material(school.subject.id), status=401)


def test_inactive_teaching_assignment_does_not_allow_writing(testapp, school, make_user):
    former = make_user("teacher")
    teach(school.dbsession, former, school.subject, active=False)
    response = testapp.post_json(
        API, new_material(school.subject.id), headers=school.headers(former), status=403
    )
    assert response.json["errors"][0]["name"] == "subject_id"


def test_unknown_subject_is_a_400(testapp, school):
    response = testapp.post_json(
        API, new_material(987654), headers=school.headers(school.admin), status=400
    )
    assert response.json["errors"][0]["name"] == "subject_id"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("teacher", 200),  # the author
        ("colleague", 200),  # teaches the subject (and sees it: public)
        ("admin", 200),
        ("stranger_teacher", 403),  # sees it (public) but does not teach the subject
        ("enrolled", 403),
        ("enrolled_parent", 403),
        ("stranger", 403),
    ],
)
def test_who_edits_a_material(testapp, school, who, status):
    material = school.material(is_public=True)
    testapp.patch_json(
        material_url(material),
        {"title": "Edited"},
        headers=school.headers(getattr(school, who)),
        status=status,
    )


def test_teacher_of_subject_cannot_even_see_a_private_draft_of_a_colleague(testapp, school):
    material = school.material(status="draft")
    testapp.patch_json(
        material_url(material),
        {"title": "x"},
        headers=school.headers(school.colleague),
        status=404,
    )


def test_moving_a_material_needs_the_right_to_write_in_the_target_subject(testapp, school):
    material = school.material()
    elsewhere, mine = make_subject(school.dbsession), make_subject(school.dbsession)
    teach(school.dbsession, school.teacher, mine)
    headers = school.headers(school.teacher)
    testapp.patch_json(
        material_url(material), {"subject_id": elsewhere.id}, headers=headers, status=403
    )
    moved = testapp.patch_json(
        material_url(material), {"subject_id": mine.id}, headers=headers
    ).json
    assert moved["subject"]["id"] == mine.id and moved["subject"]["name"] == mine.name


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("teacher", 204),
        ("admin", 204),
        ("colleague", 403),  # may edit, may not delete
        ("stranger_teacher", 403),
        ("enrolled", 403),
        ("enrolled_parent", 403),
    ],
)
def test_who_deletes_a_material(testapp, school, who, status):
    material = school.material(is_public=True)
    testapp.delete(
        material_url(material), headers=school.headers(getattr(school, who)), status=status
    )
    school.dbsession.expire_all()
    deleted = school.dbsession.get(Material, material.id).deleted_at is not None
    assert deleted == (status == 204)


def test_a_deleted_material_is_gone_for_everyone(testapp, school):
    material = school.material(is_public=True)
    testapp.delete(material_url(material), headers=school.headers(school.teacher), status=204)
    for user in (school.teacher, school.admin, school.enrolled, school.stranger):
        testapp.get(material_url(material), headers=school.headers(user), status=404)
    testapp.delete(material_url(material), headers=school.headers(school.admin), status=404)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("teacher", 200),
        ("admin", 200),
        ("colleague", 400),  # may assign, but does not teach this student
        ("stranger_teacher", 403),
        ("enrolled", 403),
        ("assigned_parent", 403),
    ],
)
def test_who_assigns_a_material(testapp, school, who, status):
    material = school.material(is_public=True, assign=False)
    testapp.post_json(
        material_url(material, "assign/"),
        {"student_ids": [school.enrolled.id]},
        headers=school.headers(getattr(school, who)),
        status=status,
    )


def test_an_author_no_longer_teaching_the_subject_no_longer_edits(testapp, school):
    """Create and edit need an active assignment to the subject; authorship alone does not
    let a former teacher edit, replace the file or moderate comments."""
    material = school.material(type="homework")
    comment = MaterialCommentFactory(material_id=material.id, author_id=school.enrolled.id)
    submission = MaterialSubmissionFactory(material_id=material.id, student_id=school.enrolled.id)
    school.dbsession.execute(
        update(TeacherSubject)
        .where(TeacherSubject.teacher_id == school.teacher.id)
        .values(is_active=False)
    )
    school.dbsession.flush()
    headers = school.headers(school.teacher)
    url = material_url(material)
    assert testapp.get(url, headers=headers).json["id"] == material.id
    for response in (
        testapp.patch_json(url, {"title": "Mine still?"}, headers=headers, status=403),
        testapp.post(
            material_url(material, "file/"),
            upload_files=[("file", "a.pdf", pdf_bytes())],
            headers=headers,
            status=403,
        ),
        testapp.patch_json(
            f"{API}comments/{comment.id}/", {"is_flagged": True}, headers=headers, status=403
        ),
    ):
        assert response.content_type == "application/problem+json"
    # who set the homework still reviews what was handed in on it
    testapp.post_json(
        f"{API}submissions/{submission.id}/feedback/",
        {"grade": 5, "text": "Well done"},
        headers=headers,
        status=201,
    )
    school.dbsession.expire_all()
    assert school.dbsession.get(Material, material.id).title == material.title
    testapp.patch_json(url, {"title": "Edited"}, headers=school.headers(school.admin))
    testapp.delete(url, headers=headers, status=204)
