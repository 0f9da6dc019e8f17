"""Editing a lesson with PATCH (description, notes, meeting link), ETags and If-Match, and
who sees the private notes."""

from __future__ import annotations

import pytest
from lessons_support import at, item, lesson, make_world, problem_names
from sqlalchemy import select

from thebot.scheduling.models import LessonHistory

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def world(make_user):
    return make_world(make_user)


def test_patch_edits_description_and_link_and_bumps_the_sequence(testapp, world, as_, dbsession):
    row = lesson(world, at(hours=30), description="old")
    res = testapp.patch_json(
        item(row.id),
        {"description": "new", "meeting_link": "https://meet.google.com/abc"},
        headers=as_(world.teacher),
    )
    assert res.json["description"] == "new" and res.json["sequence"] == 1
    entry = dbsession.scalars(select(LessonHistory).where(LessonHistory.lesson_id == row.id)).one()
    assert entry.action == "updated" and entry.actor_id == world.teacher.id
    assert entry.old_values == {"description": "old", "meeting_link": None}
    assert entry.new_values == {
        "description": "new",
        "meeting_link": "https://meet.google.com/abc",
    }


def test_patching_private_notes_does_not_bump_the_calendar_sequence(testapp, world, as_):
    row = lesson(world, at(hours=30))
    res = testapp.patch_json(item(row.id), {"notes": "needs practice"}, headers=as_(world.tutor))
    assert res.json["notes"] == "needs practice" and res.json["sequence"] == 0


def test_an_empty_patch_changes_nothing(testapp, world, as_, dbsession):
    row = lesson(world, at(hours=30))
    testapp.patch_json(item(row.id), {}, headers=as_(world.teacher))
    assert dbsession.scalars(select(LessonHistory)).all() == []


def test_patch_refuses_a_bad_link_and_time_fields(testapp, world, as_):
    row = lesson(world, at(hours=30))
    headers = as_(world.teacher)
    res = testapp.patch_json(
        item(row.id), {"meeting_link": "https://zoom.us/j/1"}, headers=headers, status=400
    )
    assert problem_names(res) == ["meeting_link"]
    res = testapp.patch_json(
        item(row.id), {"start": at(hours=40).isoformat()}, headers=headers, status=400
    )
    assert "start" in res.json["errors"][0]["description"]  # moves go through reschedule/


def test_a_started_lesson_cannot_be_edited(testapp, world, as_):
    row = lesson(world, at(minutes=-1), status="confirmed")
    res = testapp.patch_json(
        item(row.id), {"description": "x"}, headers=as_(world.teacher), status=409
    )
    assert "started" in res.json["detail"]


@pytest.mark.parametrize("status", ["cancelled", "completed"])
def test_a_final_lesson_cannot_be_edited(testapp, world, as_, status):
    row = lesson(world, at(hours=30), status=status)
    res = testapp.patch_json(
        item(row.id), {"description": "x"}, headers=as_(world.teacher), status=409
    )
    assert res.json["current_status"] == status and status in res.json["detail"]


@pytest.mark.parametrize("who", ["student", "parent", "other_teacher"])
def test_only_managers_patch(testapp, world, as_, who):
    row = lesson(world, at(hours=30))
    status = 404 if who == "other_teacher" else 403
    testapp.patch_json(
        item(row.id), {"description": "x"}, headers=as_(getattr(world, who)), status=status
    )


def test_patch_with_a_stale_if_match_is_412(testapp, world, as_):
    row = lesson(world, at(hours=30))
    headers = as_(world.teacher)
    etag = testapp.get(item(row.id), headers=headers).headers["ETag"]
    testapp.patch_json(item(row.id), {"description": "a"}, headers={**headers, "If-Match": etag})
    res = testapp.patch_json(
        item(row.id), {"description": "b"}, headers={**headers, "If-Match": etag}, status=412
    )
    assert res.json["status"] == 412


def test_get_supports_if_none_match(testapp, world, as_):
    row = lesson(world, at(hours=30))
    headers = as_(world.teacher)
    etag = testapp.get(item(row.id), headers=headers).headers["ETag"]
    testapp.get(item(row.id), headers={**headers, "If-None-Match": etag}, status=304)


def test_notes_are_private_to_teacher_tutor_and_admin(testapp, world, as_):
    row = lesson(world, at(hours=30), notes="struggles with fractions")
    for who in ("teacher", "tutor", "admin"):
        assert testapp.get(item(row.id), headers=as_(getattr(world, who))).json["notes"]
    for who in ("student", "parent"):
        assert "notes" not in testapp.get(item(row.id), headers=as_(getattr(world, who))).json


def test_nul_characters_are_refused_in_edits_and_reasons(testapp, world, as_):
    row = lesson(world, at(hours=30))
    headers = as_(world.teacher)
    res = testapp.patch_json(item(row.id), {"notes": "a\x00"}, headers=headers, status=400)
    assert problem_names(res) == ["notes"]
    res = testapp.post_json(
        item(row.id, "cancel"), {"reason": "a\x00"}, headers=headers, status=400
    )
    assert problem_names(res) == ["reason"]
