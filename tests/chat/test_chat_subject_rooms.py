"""Subject rooms: one per subject + teacher, made with the first active enrollment; members
follow enrollments (teacher moderates, students post, parents read if enabled)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from factories import SubjectFactory, TeacherSubjectFactory
from thebot.chat.models import ChatRoom

pytestmark = pytest.mark.usefixtures("frozen")
ENROLL = "/api/materials/enrollments/"


@pytest.fixture
def subject(world, dbsession):
    subject = SubjectFactory(name="Physics")
    TeacherSubjectFactory(teacher_id=world.E.id, subject_id=subject.id)
    dbsession.flush()
    return subject


def enroll(testapp, as_, world, student, subject):
    body = {"student_id": student.id, "subject_id": subject.id, "teacher_id": world.E.id}
    return testapp.post_json(ENROLL, body, headers=as_(world.A), status=201).json


def subject_rooms(dbsession, subject):
    return dbsession.scalars(select(ChatRoom).where(ChatRoom.subject_id == subject.id)).all()


def test_first_active_enrollment_makes_the_room_and_members_follow(
    chat, world, testapp, as_, dbsession, make_user, subject
):
    assert subject_rooms(dbsession, subject) == []
    first = enroll(testapp, as_, world, world.S, subject)
    other = make_user("student")
    enroll(testapp, as_, world, other, subject)
    [room] = subject_rooms(dbsession, subject)
    assert (room.type, room.name, room.teacher_id) == ("subject", "Physics", world.E.id)
    members = chat.get(f"/api/chat/rooms/{room.id}/members/", world.E).json["items"]
    roles = {m["user"]["id"]: m["role"] for m in members}
    assert roles == {world.E.id: "moderator", world.S.id: "member", other.id: "member"}
    chat.send(world.S, room.id, "Hello class")
    chat.room(world.P, room.id, status=404)  # parents only when the school enables it
    testapp.patch_json(f"{ENROLL}{first['id']}/", {"status": "completed"}, headers=as_(world.A))
    chat.room(world.S, room.id, status=404)  # the enrollment ended: so did the access
    assert len(subject_rooms(dbsession, subject)) == 1
    chat.room(other, room.id)


def test_renaming_the_subject_renames_its_rooms(chat, world, testapp, as_, dbsession, subject):
    enroll(testapp, as_, world, world.S, subject)
    [room] = subject_rooms(dbsession, subject)
    path = f"/api/materials/subjects/{subject.id}/"
    testapp.patch_json(path, {"name": "Physics II"}, headers=as_(world.A))
    assert chat.room(world.S, room.id).json["name"] == "Physics II"
    listed = chat.get("/api/chat/rooms/", world.E).json["items"]
    assert [r["name"] for r in listed if r["id"] == room.id] == ["Physics II"]


def test_parents_read_subject_rooms_when_enabled(
    chat, world, testapp, as_, dbsession, subject, app, monkeypatch
):
    monkeypatch.setitem(app.registry.settings, "chat_subject_room_parents", True)
    enroll(testapp, as_, world, world.S, subject)
    [room] = subject_rooms(dbsession, subject)
    body = chat.room(world.P, room.id).json
    assert body["read_only"] is True
    chat.history(world.P, room.id)
    chat.send(world.P, room.id, "Can I?", status=403)


def test_subject_rooms_are_not_left_or_edited_by_hand(
    chat, world, testapp, as_, subject, dbsession
):
    enroll(testapp, as_, world, world.S, subject)
    [room] = subject_rooms(dbsession, subject)
    testapp.delete(f"/api/chat/rooms/{room.id}/", headers=as_(world.S), status=409)
    testapp.post_json(
        f"/api/chat/rooms/{room.id}/members/",
        {"user_id": world.T.id},
        headers=as_(world.E),
        status=409,
    )
    muted = testapp.patch_json(
        f"/api/chat/rooms/{room.id}/members/{world.S.id}/", {"muted": True}, headers=as_(world.E)
    ).json
    assert muted["muted"] is True
    chat.send(world.S, room.id, "hello?", status=403)


def test_a_newly_linked_parent_joins_read_only(
    chat, world, testapp, as_, dbsession, subject, app, monkeypatch, make_user
):
    monkeypatch.setitem(app.registry.settings, "chat_subject_room_parents", True)
    enroll(testapp, as_, world, world.S, subject)
    [room] = subject_rooms(dbsession, subject)
    newcomer = make_user("parent")
    chat.room(newcomer, room.id, status=404)
    testapp.post_json(
        f"/api/accounts/users/{world.S.id}/parents/",
        {"parent_id": newcomer.id},
        headers=as_(world.A),
    )
    assert chat.room(newcomer, room.id).json["read_only"] is True
