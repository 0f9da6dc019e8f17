"""``GET /lessons/{id}/history/``: every change, oldest first, with who did it and the old and
new values; cursor-paginated."""

from __future__ import annotations

import pytest
from lessons_support import LESSONS, at, body, item, lesson, make_world

from factories import LessonHistoryFactory

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def world(make_user):
    return make_world(make_user)


def test_a_lessons_life_in_history(testapp, world, auth_headers):
    teacher, student, tutor = (
        auth_headers(world.teacher),
        auth_headers(world.student),
        auth_headers(world.tutor),
    )
    start = at(hours=30)
    lesson_id = testapp.post_json(LESSONS, body(world, start), headers=teacher).json["id"]
    testapp.patch_json(item(lesson_id), {"description": "Quadratics"}, headers=tutor)
    testapp.post_json(
        item(lesson_id, "reschedule"),
        {"start": at(hours=31).isoformat(), "end": at(hours=32).isoformat()},
        headers=teacher,
    )
    testapp.post(item(lesson_id, "confirm"), headers=student)
    testapp.post_json(item(lesson_id, "cancel"), {"reason": "Exam moved"}, headers=tutor)

    items = testapp.get(item(lesson_id, "history"), headers=student).json["items"]
    assert [e["action"] for e in items] == [
        "created",
        "updated",
        "rescheduled",
        "confirmed",
        "cancelled",
    ]
    assert [e["actor_id"] for e in items] == [
        world.teacher.id,
        world.tutor.id,
        world.teacher.id,
        world.student.id,
        world.tutor.id,
    ]
    created, updated, moved, confirmed, cancelled = items
    assert created["old_values"] == {}
    assert created["new_values"]["status"] == "pending"
    assert created["new_values"]["teacher_id"] == world.teacher.id
    assert created["new_values"]["enrollment_override"] is False
    assert "notes" not in created["new_values"]  # the student does not see private notes
    assert created["actor"]["id"] == world.teacher.id
    assert updated["old_values"] == {"description": ""}
    assert updated["new_values"] == {"description": "Quadratics"}
    assert moved["old_values"]["start"] == start.isoformat()
    assert moved["new_values"]["start"] == at(hours=31).isoformat()
    assert confirmed["old_values"] == {"status": "pending"}
    assert confirmed["new_values"] == {"status": "confirmed"}
    assert cancelled["new_values"] == {"status": "cancelled", "cancel_reason": "Exam moved"}
    assert all(e["created_at"].startswith("2026-12-01T09:00:00") for e in items)


def test_failed_changes_leave_no_history(testapp, world, auth_headers):
    teacher = auth_headers(world.teacher)
    lesson_id = testapp.post_json(LESSONS, body(world), headers=teacher).json["id"]
    testapp.post(item(lesson_id, "complete"), headers=teacher, status=409)
    testapp.patch_json(
        item(lesson_id), {"meeting_link": "http://x.example"}, headers=teacher, status=400
    )
    items = testapp.get(item(lesson_id, "history"), headers=teacher).json["items"]
    assert [e["action"] for e in items] == ["created"]


def test_history_is_paginated_oldest_first(testapp, world, auth_headers):
    teacher = auth_headers(world.teacher)
    lesson_id = testapp.post_json(LESSONS, body(world), headers=teacher).json["id"]
    for n in range(4):
        testapp.patch_json(item(lesson_id), {"description": f"v{n}"}, headers=teacher)
    first = testapp.get(item(lesson_id, "history"), {"limit": 3}, headers=teacher)
    assert [e["action"] for e in first.json["items"]] == ["created", "updated", "updated"]
    assert 'rel="next"' in first.headers["Link"]
    rest = testapp.get(
        item(lesson_id, "history"),
        {"limit": 3, "cursor": first.json["next_cursor"]},
        headers=teacher,
    ).json
    assert [e["new_values"]["description"] for e in rest["items"]] == ["v2", "v3"]
    assert rest["next_cursor"] is None


def test_history_rejects_unknown_parameters(testapp, world, auth_headers):
    teacher = auth_headers(world.teacher)
    lesson_id = testapp.post_json(LESSONS, body(world), headers=teacher).json["id"]
    testapp.get(item(lesson_id, "history"), {"action": "created"}, headers=teacher, status=400)
    testapp.get(item(lesson_id, "history"), {"cursor": "!!"}, headers=teacher, status=400)


@pytest.mark.parametrize("who", ["admin", "teacher", "tutor", "parent", "student"])
def test_history_runs_a_constant_number_of_queries(
    testapp, world, auth_headers, dbsession, queries_for_1_and_30, who
):
    target = lesson(world, at(hours=30))
    url = item(target.id, "history")
    headers = auth_headers(getattr(world, who))
    actors = [world.teacher, world.tutor, world.student, world.admin, world.parent]
    made = []

    def add(n):
        for _ in range(n):
            k = len(made)
            made.append(
                LessonHistoryFactory(
                    lesson_id=target.id,
                    action="updated",
                    actor_id=actors[k % len(actors)].id,  # different people act
                    old_values={"description": f"v{k}", "notes": "private"},
                    new_values={"description": f"v{k + 1}", "notes": "private"},
                )
            )

    _, large = queries_for_1_and_30(add, lambda: testapp.get(url, headers=headers).json["items"])
    assert len({e["actor"]["id"] for e in large}) == len(actors)
