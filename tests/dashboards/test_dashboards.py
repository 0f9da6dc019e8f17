"""Role dashboards: each only for its role; what each shows (and hides); extra sections
registered by other features; a constant number of queries for 1 and for 30 rows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from pyramid.config import Configurator
from sqlalchemy import literal, select

from factories import EnrollmentFactory, ParentLinkFactory, SubjectFactory, TeacherSubjectFactory
from thebot.dashboards import registry as dashboards
from thebot.dashboards.cache import bump_generations
from thebot.materials.models import (
    Material,
    MaterialAssignment,
    MaterialProgress,
    MaterialSubmission,
    SubmissionFeedback,
)

DASHBOARD = "/api/dashboard/{}/"
ROLES = ("student", "teacher", "tutor", "parent")
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(autouse=True)
def fresh_dashboards(app):
    """The memory cache outlives a test's rolled-back rows (and SQLite reuses their ids)."""
    bump_generations(app.registry, (), everyone=True)


# --- arranging rows ----------------------------------------------------------------------


def material(dbsession, author, subject, **kw):
    row = Material(author_id=author.id, subject_id=subject.id, **{"type": "lesson", **kw})
    row.title = kw.get("title", "Lesson")
    row.status = kw.get("status", "active")
    dbsession.add(row)
    dbsession.flush()
    return row


def assign(dbsession, item, student, minutes=0):
    dbsession.add(
        MaterialAssignment(
            material_id=item.id,
            student_id=student.id,
            created_at=T0 + dt.timedelta(minutes=minutes),
        )
    )
    dbsession.flush()


def progress(dbsession, item, student, percentage, seconds=60):
    row = MaterialProgress(
        material_id=item.id,
        student_id=student.id,
        percentage=percentage,
        is_completed=percentage == 100,
        completed_at=T0 if percentage == 100 else None,
        time_spent_seconds=seconds,
        last_accessed_at=T0,
    )
    dbsession.add(row)
    dbsession.flush()
    return row


def submit(dbsession, item, student, status="submitted", minutes=0):
    row = MaterialSubmission(
        material_id=item.id,
        student_id=student.id,
        text="My answer",
        status=status,
        submitted_at=T0 + dt.timedelta(minutes=minutes),
    )
    dbsession.add(row)
    dbsession.flush()
    return row


def review(dbsession, submission, teacher, grade=5, minutes=0):
    row = SubmissionFeedback(
        submission_id=submission.id,
        teacher_id=teacher.id,
        grade=grade,
        text="Well done",
        status="reviewed",
        created_at=T0 + dt.timedelta(minutes=minutes),
    )
    dbsession.add(row)
    dbsession.flush()
    return row


@pytest.fixture
def w(make_user, dbsession):
    """Student S (tutor T, parent P) learns Algebra with teacher E."""
    tutor = make_user("tutor", first_name="Tanya")
    student = make_user("student", first_name="Sasha", profile={"tutor_id": tutor.id})
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    teacher = make_user("teacher", first_name="Elena")
    algebra = SubjectFactory(name="Algebra", color="#112233")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=algebra.id)
    enrollment = EnrollmentFactory(
        student_id=student.id,
        subject_id=algebra.id,
        teacher_id=teacher.id,
        custom_subject_name="Exam algebra",
    )
    dbsession.flush()
    return SimpleNamespace(
        tutor=tutor,
        student=student,
        parent=parent,
        teacher=teacher,
        algebra=algebra,
        enrollment=enrollment,
    )


def get(testapp, role, user, auth_headers, **kw):
    return testapp.get(DASHBOARD.format(role), headers=auth_headers(user), **kw)


# --- who may open which dashboard --------------------------------------------------------


@pytest.mark.parametrize("endpoint", ROLES)
@pytest.mark.parametrize("role", [*ROLES, "admin"])
def test_each_dashboard_is_for_its_own_role(testapp, make_user, auth_headers, endpoint, role):
    res = get(
        testapp, endpoint, make_user(role), auth_headers, status=200 if role == endpoint else 403
    )
    if role == endpoint:
        assert res.json["role"] == role and res.headers["ETag"]
        assert "private" in res.headers["Cache-Control"]
    else:
        assert res.json["type"].endswith("/permission-denied")


@pytest.mark.parametrize("endpoint", ROLES)
def test_anonymous_gets_401(testapp, endpoint):
    testapp.get(DASHBOARD.format(endpoint), status=401)


def test_unknown_query_parameters_are_400(testapp, make_user, auth_headers):
    get(testapp, "student", make_user("student"), auth_headers, params={"x": "1"}, status=400)


def test_etag_gives_304(testapp, w, auth_headers):
    etag = get(testapp, "student", w.student, auth_headers).headers["ETag"]
    headers = {**auth_headers(w.student), "If-None-Match": etag}
    testapp.get(DASHBOARD.format("student"), headers=headers, status=304)


# --- what each shows ----------------------------------------------------------------------


def test_student_sees_subjects_assigned_materials_with_progress_and_feedback(
    testapp, dbsession, w, make_user, auth_headers
):
    first = material(dbsession, w.teacher, w.algebra, title="Fractions")
    second = material(dbsession, w.teacher, w.algebra, title="Homework 1", type="homework")
    third = material(dbsession, w.teacher, w.algebra, title="Not started")
    draft = material(dbsession, w.teacher, w.algebra, title="Draft", status="draft")
    deleted = material(dbsession, w.teacher, w.algebra, title="Gone", deleted_at=T0)
    for minutes, item in enumerate([first, second, third, draft, deleted]):
        assign(dbsession, item, w.student, minutes)
    progress(dbsession, first, w.student, 100, seconds=300)
    progress(dbsession, second, w.student, 40)
    other = make_user("student")
    assign(dbsession, first, other)
    review(dbsession, submit(dbsession, second, w.student), w.teacher, grade=4)
    review(dbsession, submit(dbsession, deleted, w.student), w.teacher)
    review(dbsession, submit(dbsession, second, other), w.teacher)

    body = get(testapp, "student", w.student, auth_headers).json
    assert body["user"]["id"] == w.student.id
    sections = body["sections"]
    built_in = ["subjects", "materials", "feedback"]  # other features may add sections
    assert [name for name in sections if name in built_in] == built_in
    [subject] = sections["subjects"]
    assert subject["subject"] == {"id": w.algebra.id, "name": "Algebra", "color": "#112233"}
    assert subject["subject_name"] == "Exam algebra"
    assert subject["teacher"]["id"] == w.teacher.id
    materials = sections["materials"]
    assert materials["summary"] == {
        "assigned": 3,
        "completed": 1,
        "in_progress": 1,
        "not_started": 1,
        "average_percentage": 47,
    }
    assert [m["title"] for m in materials["items"]] == ["Not started", "Homework 1", "Fractions"]
    assert materials["items"][0]["progress"] is None
    assert materials["items"][1]["progress"]["percentage"] == 40
    assert materials["items"][2]["progress"]["is_completed"] is True
    [feedback] = sections["feedback"]
    assert feedback["grade"] == 4 and feedback["material"]["title"] == "Homework 1"
    assert feedback["teacher"]["id"] == w.teacher.id


def test_student_material_totals_count_beyond_the_listed_page(testapp, dbsession, w, auth_headers):
    n = dashboards.ITEMS_LIMIT + 3
    items = [material(dbsession, w.teacher, w.algebra, title=f"M{i}") for i in range(n)]
    for minutes, item in enumerate(items):
        assign(dbsession, item, w.student, minutes)
    progress(dbsession, items[0], w.student, 100)  # the oldest: not on the page
    progress(dbsession, items[1], w.student, 50)
    materials = get(testapp, "student", w.student, auth_headers).json["sections"]["materials"]
    assert materials["summary"] == {
        "assigned": n,
        "completed": 1,
        "in_progress": 1,
        "not_started": n - 2,
        "average_percentage": round(150 / n),
    }
    assert len(materials["items"]) == dashboards.ITEMS_LIMIT
    assert materials["items"][0]["title"] == f"M{n - 1}"


def test_teacher_sees_students_per_subject_and_pending_submissions(
    testapp, dbsession, w, make_user, auth_headers
):
    geometry = SubjectFactory(name="Geometry")
    TeacherSubjectFactory(teacher_id=w.teacher.id, subject_id=geometry.id)
    old = SubjectFactory(name="Physics")  # no longer assigned, but a student is still active
    late = make_user("student", last_name="Aaronson")
    EnrollmentFactory(student_id=late.id, subject_id=old.id, teacher_id=w.teacher.id)
    EnrollmentFactory(
        student_id=make_user("student").id,
        subject_id=w.algebra.id,
        teacher_id=w.teacher.id,
        status="dropped",
    )
    colleague = make_user("teacher")
    mine = material(dbsession, w.teacher, old, type="homework")
    in_my_subject = material(dbsession, colleague, w.algebra, type="homework")
    elsewhere = material(dbsession, colleague, SubjectFactory(), type="homework")
    s1 = submit(dbsession, in_my_subject, w.student, minutes=5)
    s2 = submit(dbsession, mine, late, minutes=1)
    submit(dbsession, elsewhere, w.student)
    submit(dbsession, mine, w.student, status="reviewed")

    sections = get(testapp, "teacher", w.teacher, auth_headers).json["sections"]
    subjects = sections["subjects"]
    assert [(s["subject"]["name"], s["is_assigned"]) for s in subjects] == [
        ("Algebra", True),
        ("Geometry", True),
        ("Physics", False),
    ]
    assert [s["student_count"] for s in subjects] == [1, 0, 1]
    assert subjects[0]["students"][0]["student"]["id"] == w.student.id
    assert subjects[0]["students"][0]["subject_name"] == "Exam algebra"
    pending = sections["pending_submissions"]
    assert pending["count"] == 2
    assert [p["id"] for p in pending["items"]] == [s2.id, s1.id]
    assert pending["items"][0]["student"]["id"] == late.id


def test_tutor_sees_own_students_with_subjects_and_progress(
    testapp, dbsession, w, make_user, auth_headers
):
    lesson = material(dbsession, w.teacher, w.algebra)
    hidden = material(dbsession, w.teacher, w.algebra, status="draft")
    assign(dbsession, lesson, w.student)
    assign(dbsession, hidden, w.student)
    progress(dbsession, lesson, w.student, 50, seconds=120)
    # a student the tutor only teaches through an enrollment: not their other teachers' ones
    taught = make_user("student")
    physics = SubjectFactory(name="Physics")
    TeacherSubjectFactory(teacher_id=w.tutor.id, subject_id=physics.id)
    EnrollmentFactory(student_id=taught.id, subject_id=physics.id, teacher_id=w.tutor.id)
    EnrollmentFactory(student_id=taught.id, subject_id=w.algebra.id, teacher_id=w.teacher.id)
    make_user("student", profile={"tutor_id": make_user("tutor").id})  # another tutor's

    cards = get(testapp, "tutor", w.tutor, auth_headers).json["sections"]["students"]["items"]
    by_id = {c["student"]["id"]: c for c in cards}
    assert set(by_id) == {w.student.id, taught.id}
    mine = by_id[w.student.id]
    assert [s["subject"]["name"] for s in mine["subjects"]] == ["Algebra"]
    assert mine["progress"] == {
        "assigned": 1,
        "started": 1,
        "completed": 0,
        "average_percentage": 50,
        "time_spent_seconds": 120,
        "last_activity_at": T0.isoformat(),
    }
    assert set(mine["stats"]) == {"progress_percent", "streak_days", "points", "accuracy_percent"}
    assert [s["subject"]["name"] for s in by_id[taught.id]["subjects"]] == ["Physics"]
    assert "teachers" not in mine


def test_tutor_dashboard_follows_teaching_relations_registered_after_import(
    testapp, w, make_user, auth_headers, add_teaching_relation
):
    """Features register teaching relations as they load: the tutor's students are read
    through every relation registered by the time of the request, not of an import."""
    other = make_user("student")

    def relation():
        return select(
            literal(w.tutor.id).label("teacher_id"), literal(other.id).label("student_id")
        )

    add_teaching_relation("test_only", relation)  # for this test only
    cards = get(testapp, "tutor", w.tutor, auth_headers).json["sections"]["students"]["items"]
    assert {c["student"]["id"] for c in cards} == {w.student.id, other.id}


def test_tutor_dashboard_lists_the_first_students_by_name_and_counts_them_all(
    testapp, w, make_user, auth_headers
):
    """A caseload has no upper bound: the section holds the first ``ITEMS_LIMIT`` cards by
    name and the number of every active student (the rest are on the students list)."""
    more = [
        make_user("student", last_name=f"Zz{i:02}", profile={"tutor_id": w.tutor.id})
        for i in range(dashboards.ITEMS_LIMIT + 2)
    ]
    make_user("student", last_name="Aa", is_active=False, profile={"tutor_id": w.tutor.id})
    section = get(testapp, "tutor", w.tutor, auth_headers).json["sections"]["students"]
    assert section["count"] == len(more) + 1  # and w.student; the inactive one is not counted
    shown = [c["student"]["id"] for c in section["items"]]
    assert len(shown) == dashboards.ITEMS_LIMIT
    assert shown[0] == w.student.id  # "Last<n>" sorts before "Zz<i>"
    assert shown[1:] == [u.id for u in more[: dashboards.ITEMS_LIMIT - 1]]


def test_parent_sees_each_child_with_subjects_progress_and_teachers(
    testapp, dbsession, w, make_user, auth_headers
):
    second = make_user("student", last_name="Zz")
    ParentLinkFactory(student=second, parent=w.parent)
    ParentLinkFactory(student=make_user("student"), parent=make_user("parent"))
    lesson = material(dbsession, w.teacher, w.algebra)
    progress(dbsession, lesson, w.student, 100)
    dbsession.flush()

    children = get(testapp, "parent", w.parent, auth_headers).json["sections"]["children"]
    assert [c["student"]["id"] for c in children] == [w.student.id, second.id]
    first = children[0]
    assert first["subjects"][0]["teacher"]["id"] == w.teacher.id
    assert first["tutor"]["id"] == w.tutor.id
    assert {t["id"] for t in first["teachers"]} == {w.teacher.id, w.tutor.id}
    assert first["progress"]["completed"] == 1
    assert children[1]["subjects"] == [] and children[1]["teachers"] == []
    assert children[1]["tutor"] is None


# --- sections from other features ----------------------------------------------------------


def test_other_features_add_sections(app, testapp, w, auth_headers, monkeypatch):
    def lessons(ctx):
        return {"next": None, "for": ctx.user.id}

    # A copy of the app's sections for this test: the section is gone afterwards.
    copy = {role: dict(s) for role, s in dashboards.sections(app.registry).items()}
    monkeypatch.setitem(app.registry, dashboards.SECTIONS_KEY, copy)
    config = Configurator(registry=app.registry)
    config.add_directive("add_dashboard_section", dashboards.add_dashboard_section)
    config.add_dashboard_section("parent", "lessons", lessons, order=5)
    body = get(testapp, "parent", w.parent, auth_headers).json
    names = list(body["sections"])
    assert names == [s.name for s in dashboards.sections_for(app.registry, "parent")]
    assert names.index("lessons") < names.index("children")  # by ``order``
    assert body["sections"]["lessons"] == {"next": None, "for": w.parent.id}
    monkeypatch.undo()
    assert "lessons" not in [s.name for s in dashboards.sections_for(app.registry, "parent")]
    with pytest.raises(ValueError):
        config.add_dashboard_section("admin", "x", lessons)


# --- constant query counts ----------------------------------------------------------------


def grow_student(dbsession, w, make_user, n):
    for _ in range(n):
        subject = SubjectFactory()
        teacher = make_user("teacher")
        EnrollmentFactory(student_id=w.student.id, subject_id=subject.id, teacher_id=teacher.id)
        item = material(dbsession, teacher, subject, type="homework")
        assign(dbsession, item, w.student)
        progress(dbsession, item, w.student, 30)
        review(dbsession, submit(dbsession, item, w.student), teacher)


def grow_teacher(dbsession, w, make_user, n):
    for _ in range(n):
        subject = SubjectFactory()
        TeacherSubjectFactory(teacher_id=w.teacher.id, subject_id=subject.id)
        student = make_user("student")
        EnrollmentFactory(student_id=student.id, subject_id=subject.id, teacher_id=w.teacher.id)
        submit(dbsession, material(dbsession, w.teacher, subject, type="homework"), student)


def grow_family(dbsession, w, make_user, n):
    for _ in range(n):
        student = make_user("student", profile={"tutor_id": w.tutor.id})
        ParentLinkFactory(student=student, parent=w.parent)
        EnrollmentFactory(student_id=student.id, subject_id=w.algebra.id, teacher_id=w.teacher.id)
        item = material(dbsession, w.teacher, w.algebra)
        assign(dbsession, item, student)
        progress(dbsession, item, student, 70)


GROW = {
    "student": ("student", grow_student),
    "teacher": ("teacher", grow_teacher),
    "tutor": ("tutor", grow_family),
    "parent": ("parent", grow_family),
}


@pytest.mark.parametrize("role", ROLES)
def test_query_count_is_the_same_for_1_and_30_rows(
    testapp, app, dbsession, w, make_user, auth_headers, count_queries, role
):
    attr, grow = GROW[role]
    user = getattr(w, attr)
    headers = auth_headers(user)
    if role in ("tutor", "parent"):
        grow(dbsession, w, make_user, 0)  # S is the one tutored child already
    else:
        grow(dbsession, w, make_user, 1)
    with count_queries() as few:
        small = testapp.get(DASHBOARD.format(role), headers=headers).json
    grow(dbsession, w, make_user, 29)
    dbsession.flush()
    bump_generations(app.registry, [user.id])
    with count_queries() as many:
        big = testapp.get(DASHBOARD.format(role), headers=headers).json
    assert few.count == many.count
    assert small != big
