"""Role profiles: private fields for related people only, per-role fields, protected tutor."""

from __future__ import annotations

import pytest
from pyramid.config import Configurator
from sqlalchemy import literal, select

from factories import ParentLinkFactory
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.models import StudentProfile
from thebot.accounts.users.profiles import FIELDS_KEY, profile_data
from thebot.audit import AuditEvent
from thebot.events import registry_of

PRIVATE_STUDENT = {"goal", "tutor", "parents"}
PRIVATE_TEACHER = {"bio", "experience_years"}


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def teaches(add_teaching_relation):
    """Add a teaching relation (as enrollments do) for the duration of a test."""

    def register(teacher, student):
        name = f"test-{teacher.id}-{student.id}"
        add_teaching_relation(
            name,
            lambda: select(
                literal(teacher.id).label("teacher_id"), literal(student.id).label("student_id")
            ),
        )

    return register


@pytest.fixture
def family(make_user):
    tutor = make_user("tutor", profile={"bio": "Tutor bio", "experience_years": 9})
    student = make_user("student", profile={"tutor_id": tutor.id, "goal": "Pass the exam"})
    mum = make_user("parent")
    dad = make_user("parent")
    ParentLinkFactory(student=student, parent=mum)
    ParentLinkFactory(student=student, parent=dad)
    return {"tutor": tutor, "student": student, "mum": mum, "dad": dad}


def profile_url(user):
    return f"/api/accounts/users/{user.id}/profile/"


@pytest.mark.parametrize("viewer", ["self", "tutor", "mum", "admin", "teacher"])
def test_student_private_fields_visible_to_related_people(
    testapp, make_user, auth_headers, family, teaches, viewer
):
    student = family["student"]
    if viewer == "self":
        caller = student
    elif viewer == "admin":
        caller = make_user("admin")
    elif viewer == "teacher":
        caller = make_user("teacher")
        teaches(caller, student)
    else:
        caller = family[viewer]
    data = testapp.get(profile_url(student), headers=auth_headers(caller)).json
    assert data["goal"] == "Pass the exam"
    assert data["tutor"]["id"] == family["tutor"].id
    assert {p["id"] for p in data["parents"]} == {family["mum"].id, family["dad"].id}
    assert data["grade"] == 7
    assert set(data["stats"]) == {"progress_percent", "streak_days", "points", "accuracy_percent"}


def test_teacher_private_fields_for_taught_students_and_their_parents(
    testapp, make_user, auth_headers, family, teaches
):
    teacher = make_user("teacher")
    teaches(teacher, family["student"])
    for caller in (family["student"], family["mum"], teacher):
        data = testapp.get(profile_url(teacher), headers=auth_headers(caller)).json
        assert data["bio"] == "Teaches well." and data["experience_years"] == 5
    tutor_profile = testapp.get(
        profile_url(family["tutor"]), headers=auth_headers(family["dad"])
    ).json
    assert tutor_profile["bio"] == "Tutor bio" and tutor_profile["specialization"]


def test_unrelated_users_get_404_not_the_profile(testapp, make_user, auth_headers, family):
    for role in ("tutor", "teacher", "parent", "student"):
        caller = make_user(role)
        testapp.get(profile_url(family["student"]), headers=auth_headers(caller), status=404)
        testapp.get(profile_url(family["tutor"]), headers=auth_headers(caller), status=404)


def test_private_fields_are_omitted_without_view_private(dbsession, family):
    student, tutor = family["student"], family["tutor"]
    public = profile_data(dbsession, student, viewer=tutor, private=False)
    assert not PRIVATE_STUDENT & set(public)
    assert public["grade"] == 7
    public = profile_data(dbsession, tutor, viewer=student, private=False)
    assert not PRIVATE_TEACHER & set(public)


def test_parent_profile_lists_only_children_the_viewer_may_see(
    testapp, make_user, auth_headers, family
):
    mum = family["mum"]
    other_tutor = make_user("tutor")
    sibling = make_user("student", profile={"tutor_id": other_tutor.id})
    ParentLinkFactory(student=sibling, parent=mum)
    own = testapp.get(profile_url(mum), headers=auth_headers(mum)).json
    assert {c["id"] for c in own["children"]} == {family["student"].id, sibling.id}
    as_tutor = testapp.get(profile_url(mum), headers=auth_headers(family["tutor"])).json
    assert [c["id"] for c in as_tutor["children"]] == [family["student"].id]
    as_child = testapp.get(profile_url(mum), headers=auth_headers(sibling)).json
    assert [c["id"] for c in as_child["children"]] == [sibling.id]


def test_student_edits_own_goal_and_grade(testapp, dbsession, auth_headers, family):
    student = family["student"]
    res = testapp.patch_json(
        profile_url(student), {"goal": "Top marks", "grade": 9}, headers=auth_headers(student)
    )
    assert res.json["goal"] == "Top marks" and res.json["grade"] == 9
    [event] = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.updated")
    ).all()
    assert event.details["profile_fields"] == ["goal", "grade"]
    res = testapp.patch_json(profile_url(student), {"grade": None}, headers=auth_headers(student))
    assert res.json["grade"] is None


def test_tutor_edits_own_students_profile(testapp, auth_headers, family):
    res = testapp.patch_json(
        profile_url(family["student"]), {"grade": 11}, headers=auth_headers(family["tutor"])
    )
    assert res.json["grade"] == 11


def test_parent_and_teacher_see_but_cannot_edit_student_profile(
    testapp, make_user, auth_headers, family, teaches
):
    teacher = make_user("teacher")
    teaches(teacher, family["student"])
    for caller in (family["mum"], teacher):
        testapp.patch_json(
            profile_url(family["student"]), {"goal": "x"}, headers=auth_headers(caller), status=403
        )


def test_tutor_assignment_is_admin_only_and_audited(
    testapp, dbsession, make_user, auth_headers, family
):
    other = make_user("tutor")
    res = testapp.patch_json(
        profile_url(family["student"]),
        {"tutor_id": other.id},
        headers=auth_headers(family["tutor"]),
        status=403,
    )
    assert res.json["errors"][0]["name"] == "tutor_id"
    [event] = dbsession.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.protected_field_denied")
    ).all()
    assert event.details["fields"] == ["tutor_id"]
    admin = make_user("admin")
    testapp.patch_json(
        profile_url(family["student"]), {"tutor_id": other.id}, headers=auth_headers(admin)
    )
    dbsession.expire_all()
    assert dbsession.get(StudentProfile, family["student"].id).tutor_id == other.id
    # The former tutor lost sight of the student; the new one gained it.
    testapp.get(profile_url(family["student"]), headers=auth_headers(family["tutor"]), status=404)
    testapp.get(profile_url(family["student"]), headers=auth_headers(other), status=200)


def test_tutor_id_must_name_an_active_tutor(testapp, make_user, auth_headers, family):
    admin_headers = auth_headers(make_user("admin"))
    for bad in (make_user("teacher").id, 999999, make_user("tutor", is_active=False).id):
        res = testapp.patch_json(
            profile_url(family["student"]), {"tutor_id": bad}, headers=admin_headers, status=400
        )
        assert res.json["errors"][0]["name"] == "tutor_id"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"bio": "x"}, "bio"),
        ({"grade": 13}, "grade"),
        ({"grade": 7.5}, "grade"),
        ({"points": 100}, ""),
        ({"specialization": "x"}, "specialization"),
    ],
)
def test_bad_or_foreign_profile_fields_are_400(testapp, auth_headers, family, body, field):
    res = testapp.patch_json(
        profile_url(family["student"]), body, headers=auth_headers(family["student"]), status=400
    )
    assert field in [e["name"] for e in res.json["errors"]]


def test_tutor_and_teacher_edit_own_profile(testapp, make_user, auth_headers):
    tutor = make_user("tutor")
    res = testapp.patch_json(
        profile_url(tutor),
        {"specialization": "Maths", "bio": "Hi", "experience_years": 4},
        headers=auth_headers(tutor),
    )
    assert res.json == {
        "user_id": tutor.id,
        "role": "tutor",
        "specialization": "Maths",
        "bio": "Hi",
        "experience_years": 4,
        "subjects": [],
    }
    teacher = make_user("teacher")
    testapp.patch_json(
        profile_url(teacher), {"specialization": "x"}, headers=auth_headers(teacher), status=400
    )
    testapp.patch_json(
        profile_url(teacher), {"experience_years": 81}, headers=auth_headers(teacher), status=400
    )


def test_profile_etag(testapp, auth_headers, family):
    headers = auth_headers(family["student"])
    etag = testapp.get(profile_url(family["student"]), headers=headers).headers["ETag"]
    testapp.get(
        profile_url(family["student"]), headers={**headers, "If-None-Match": etag}, status=304
    )
    testapp.patch_json(
        profile_url(family["student"]),
        {"goal": "new"},
        headers={**headers, "If-Match": '"stale"'},
        status=412,
    )


def test_features_add_profile_fields_with_the_config_directive(dbsession, make_user, monkeypatch):
    def pets(db, user_ids):
        return {user_id: ["cat"] for user_id in user_ids}

    config = Configurator()
    config.include("thebot.accounts.users")
    config.add_profile_field("parent", "pets", pets)
    config.commit()
    assert config.registry[FIELDS_KEY] == {"parent": {"pets": pets}}
    monkeypatch.setitem(registry_of(dbsession)[FIELDS_KEY], "parent", {"pets": pets})
    parent = make_user("parent")
    data = profile_data(dbsession, parent, viewer=parent, private=True)
    assert list(data) == ["user_id", "role", "pets", "children"]
    assert data["pets"] == ["cat"]


def test_teacher_profile_subjects_come_from_the_catalog_in_place(dbsession, make_user):
    teacher = make_user("teacher")
    data = profile_data(dbsession, teacher, viewer=teacher, private=True)
    assert list(data) == ["user_id", "role", "subjects", "experience_years", "bio"]
    assert data["subjects"] == []
