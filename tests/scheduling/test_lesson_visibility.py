"""Visibility and permissions: role x relation to the lesson x action.

The lesson L: teacher E, student S (tutor T, parent P). Each caller below either relates to
L (``own``: admin, E, T as S's tutor, P as S's parent, S) or belongs to the other family
(E2 teaches S2, whose tutor is T2 and parent P2) and must not even learn L exists (404).
The list, the single-lesson check and the ACL all answer from the same rules.
"""

from __future__ import annotations

import pytest
from lessons_support import LESSONS, at, item, lesson, make_world
from sqlalchemy import select

from thebot.scheduling.lessons import visibility as seen
from thebot.scheduling.models import Lesson

pytestmark = pytest.mark.usefixtures("frozen")

CALLERS = ("admin", "teacher", "tutor", "parent", "student")
OTHERS = ("other_teacher", "other_tutor", "other_parent", "other_student")

# action -> caller -> status for the lesson L (unrelated callers: always 404)
MATRIX: dict[str, dict[str, int]] = {
    "GET": dict.fromkeys(CALLERS, 200),
    "GET history/": dict.fromkeys(CALLERS, 200),
    "PATCH": {"admin": 200, "teacher": 200, "tutor": 200, "parent": 403, "student": 403},
    "POST reschedule/": {
        "admin": 200,
        "teacher": 200,
        "tutor": 200,
        "parent": 403,
        "student": 403,
    },
    "POST confirm/": dict.fromkeys(CALLERS, 200),
    "POST cancel/": {"admin": 200, "teacher": 200, "tutor": 200, "parent": 403, "student": 403},
    "POST complete/": {"admin": 200, "teacher": 200, "tutor": 403, "parent": 403, "student": 403},
}


@pytest.fixture
def world(make_user):
    return make_world(make_user)


def call(testapp, action, row, headers, status):
    method, _, suffix = action.partition(" ")
    url = item(row.id) + suffix
    if method == "GET":
        return testapp.get(url, headers=headers, status=status)
    if method == "PATCH":
        return testapp.patch_json(url, {"description": "x"}, headers=headers, status=status)
    data = {}
    if suffix == "reschedule/":
        data = {"start": at(hours=40).isoformat(), "end": at(hours=41).isoformat()}
    return testapp.post_json(url, data, headers=headers, status=status)


@pytest.mark.parametrize("who", CALLERS + OTHERS)
@pytest.mark.parametrize("action", MATRIX)
def test_matrix(testapp, world, auth_headers, action, who):
    if action == "POST complete/":
        row = lesson(world, at(minutes=-30), status="confirmed")  # completable
    else:
        row = lesson(world, at(hours=30))
    expected = MATRIX[action].get(who, 404)
    res = call(testapp, action, row, auth_headers(getattr(world, who)), expected)
    if expected == 404:
        assert res.json["type"].endswith("/not-found")
    elif expected == 403:
        assert res.json["type"].endswith("/permission-denied")


@pytest.mark.parametrize("action", MATRIX)
def test_anonymous_is_401_without_looking_the_lesson_up(testapp, world, action):
    row = lesson(world, at(hours=30))
    res = call(testapp, action, row, {}, 401)
    assert res.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("path", ["999999/", "0/", "abc/", "99999999999999999999/", "-1/"])
def test_unknown_or_malformed_ids_are_404(testapp, world, auth_headers, path):
    testapp.get(LESSONS + path, headers=auth_headers(world.admin), status=404)


def visible_ids(dbsession, viewer):
    stmt = select(Lesson.id).where(seen.visible_lessons_clause(viewer))
    return set(dbsession.scalars(stmt))


def test_the_list_the_check_and_the_relations_agree(testapp, world, auth_headers, dbsession):
    mine = lesson(world, at(hours=30))
    theirs = lesson(
        world, at(hours=30), teacher_id=world.other_teacher.id, student_id=world.other_student.id
    )
    # The tutor teaching a lesson of someone else's student sees it as its teacher.
    taught_by_tutor = lesson(
        world, at(hours=50), teacher_id=world.tutor.id, student_id=world.other_student.id
    )
    everything = {mine.id, theirs.id, taught_by_tutor.id}
    expected = {
        "admin": everything,
        "teacher": {mine.id},
        "tutor": {mine.id, taught_by_tutor.id},
        "parent": {mine.id},
        "student": {mine.id},
        "other_teacher": {theirs.id},
        "other_tutor": {theirs.id, taught_by_tutor.id},
        "other_parent": {theirs.id, taught_by_tutor.id},
        "other_student": {theirs.id, taught_by_tutor.id},
    }
    rows = {r.id: r for r in (mine, theirs, taught_by_tutor)}
    for who, ids in expected.items():
        viewer = getattr(world, who)
        listed = testapp.get(LESSONS, headers=auth_headers(viewer)).json["items"]
        assert {i["id"] for i in listed} == ids, who
        assert visible_ids(dbsession, viewer) == ids, who
        for lesson_id, row in rows.items():
            assert seen.can_view(dbsession, viewer, row) is (lesson_id in ids), who
            assert bool(seen.relations(dbsession, viewer, row)) is (lesson_id in ids), who


def test_a_parent_sees_the_lessons_of_every_child(testapp, world, auth_headers, make_user):
    from factories import EnrollmentFactory, ParentLinkFactory

    second = make_user("student")
    ParentLinkFactory(student=second, parent=world.parent)
    EnrollmentFactory(
        student_id=second.id, teacher_id=world.teacher.id, subject_id=world.subject.id
    )
    first = lesson(world, at(hours=30))
    other = lesson(world, at(hours=32), student_id=second.id)
    listed = testapp.get(LESSONS, headers=auth_headers(world.parent)).json["items"]
    assert [i["id"] for i in listed] == [first.id, other.id]


def test_an_inactive_account_sees_nothing(world, dbsession):
    row = lesson(world, at(hours=30))
    world.teacher.is_active = False
    assert visible_ids(dbsession, world.teacher) == set()
    assert seen.relations(dbsession, world.teacher, row) == frozenset()


def test_the_monitoring_token_is_not_a_lesson_reader(testapp, world, monitor_headers):
    row = lesson(world, at(hours=30))
    testapp.get(LESSONS, headers=monitor_headers, status=403)
    testapp.get(item(row.id), headers=monitor_headers, status=403)


def test_history_hides_private_notes_from_the_family(testapp, world, auth_headers):
    row = lesson(world, at(hours=30))
    teacher = auth_headers(world.teacher)
    testapp.patch_json(
        item(row.id), {"notes": "weak on fractions", "description": "Ch. 3"}, headers=teacher
    )
    [entry] = testapp.get(item(row.id, "history"), headers=teacher).json["items"]
    assert entry["new_values"] == {"notes": "weak on fractions", "description": "Ch. 3"}
    for who in ("student", "parent"):
        [entry] = testapp.get(
            item(row.id, "history"), headers=auth_headers(getattr(world, who))
        ).json["items"]
        assert entry["new_values"] == {"description": "Ch. 3"}
        assert entry["old_values"] == {"description": ""}
