"""Messages: send, history (newest first, before/after scoped to the room), search, edit
window, soft delete, pin, reply_to, read state and unread_count, query counts."""

from __future__ import annotations

import datetime as dt

import pytest

from factories import ChatMemberFactory, ChatMessageFactory

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def direct(chat, world):
    return chat.direct(world.S, world.E, status=201).json["id"]


def test_history_is_newest_first_and_pages_with_before_and_after(chat, world, direct):
    ids = [chat.send(world.S, direct, f"m{i}").json["id"] for i in range(5)]
    items = chat.history(world.E, direct).json["items"]
    assert [m["id"] for m in items] == ids[::-1]
    older = chat.history(world.E, direct, before=ids[2]).json["items"]
    assert [m["id"] for m in older] == [ids[1], ids[0]]
    newer = chat.history(world.E, direct, after=ids[2]).json["items"]
    assert [m["id"] for m in newer] == [ids[4], ids[3]]
    page = chat.history(world.E, direct, limit=2).json
    assert [m["id"] for m in page["items"]] == [ids[4], ids[3]] and page["next_cursor"]
    rest = chat.history(world.E, direct, limit=2, cursor=page["next_cursor"]).json["items"]
    assert [m["id"] for m in rest] == [ids[2], ids[1]]


def test_before_or_after_an_id_of_another_room_is_a_404(chat, world, direct):
    other = chat.direct(world.S2, world.E2, status=201).json["id"]
    foreign = chat.send(world.S2, other, "secret").json["id"]
    chat.send(world.S, direct, "mine")
    for name in ("before", "after"):
        res = chat.history(world.S, direct, status=404, **{name: foreign})
        assert "secret" not in res.text


def test_text_limits_and_reply_to_the_same_room(chat, world, direct):
    chat.send(world.S, direct, "", status=400)
    chat.send(world.S, direct, "x" * 10_001, status=400)
    assert chat.send(world.S, direct, "x" * 10_000).json["text"] == "x" * 10_000
    first = chat.send(world.S, direct, "question").json["id"]
    answer = chat.send(world.E, direct, "answer", reply_to=first).json
    assert answer["reply_to"] == first
    other = chat.direct(world.S2, world.E2, status=201).json["id"]
    foreign = chat.send(world.S2, other, "elsewhere").json["id"]
    res = chat.send(world.S, direct, "hm", reply_to=foreign, status=400)
    assert res.json["errors"][0]["name"] == "reply_to"


def test_edit_within_the_window_keeps_edited_at(chat, world, direct, testapp, as_, frozen):
    sent = chat.send(world.S, direct, "helo").json
    url = f"/api/chat/messages/{sent['id']}/"
    frozen.shift(dt.timedelta(minutes=5))
    edited = testapp.patch_json(url, {"text": "hello"}, headers=as_(world.S)).json
    assert edited["text"] == "hello" and edited["edited_at"] is not None
    assert edited["created_at"] == sent["created_at"]
    testapp.patch_json(url, {"text": "by E"}, headers=as_(world.E), status=403)
    frozen.shift(dt.timedelta(minutes=11))  # past CHAT_EDIT_WINDOW (15 minutes)
    testapp.patch_json(url, {"text": "too late"}, headers=as_(world.S), status=403)
    assert chat.history(world.E, direct).json["items"][0]["text"] == "hello"


def test_soft_delete_leaves_a_placeholder(chat, world, direct, testapp, as_):
    sent = chat.send(world.S, direct, "oops").json
    url = f"/api/chat/messages/{sent['id']}/"
    testapp.delete(url, headers=as_(world.E), status=403)  # not the author, no moderator
    gone = testapp.delete(url, headers=as_(world.S)).json
    assert gone["deleted"] is True and gone["text"] == "" and gone["attachments"] == []
    items = chat.history(world.E, direct).json["items"]
    assert items[0]["id"] == sent["id"] and items[0]["deleted"] and items[0]["text"] == ""
    testapp.patch_json(url, {"text": "back"}, headers=as_(world.S), status=403)


def test_moderators_pin_and_delete_in_groups(chat, world, testapp, as_):
    room = chat.group(world.E, world.S, world.P).json["id"]
    sent = chat.send(world.S, room, "important").json
    pin = f"/api/chat/messages/{sent['id']}/pin/"
    testapp.post_json(pin, {}, headers=as_(world.S), status=403)
    assert testapp.post_json(pin, {}, headers=as_(world.E)).json["pinned"] is True
    unpinned = testapp.post_json(pin, {"pinned": False}, headers=as_(world.E)).json
    assert unpinned["pinned"] is False
    testapp.delete(f"/api/chat/messages/{sent['id']}/", headers=as_(world.E), status=200)


def test_search_finds_words_in_the_room_only(chat, world, direct):
    chat.send(world.S, direct, "Homework about fractions please")
    chat.send(world.S, direct, "Another topic")
    other = chat.direct(world.S2, world.E2, status=201).json["id"]
    chat.send(world.S2, other, "fractions elsewhere")
    found = chat.history(world.E, direct, q="fractions").json["items"]
    assert [m["text"] for m in found] == ["Homework about fractions please"]
    assert chat.history(world.E, direct, q="nothing-like-it").json["items"] == []


def test_a_message_moves_its_room_to_the_top_with_its_time(chat, world, direct, frozen):
    other = chat.direct(world.S, world.T, status=201).json["id"]
    frozen.shift(dt.timedelta(minutes=5))
    chat.send(world.S, other, "newer room")
    frozen.shift(dt.timedelta(minutes=5))
    sent = chat.send(world.S, direct, "back to the first").json
    rooms = chat.rooms(world.S)
    assert [r["id"] for r in rooms][:2] == [direct, other]
    assert chat.room(world.S, direct).json["activity_at"] == sent["created_at"]


def test_unread_count_is_the_same_in_list_detail_and_read(chat, world, direct):
    ids = [chat.send(world.S, direct, f"m{i}").json["id"] for i in range(4)]
    chat.send(world.E, direct, "own messages never count")

    def counts():
        listed = {r["id"]: r["unread_count"] for r in chat.rooms(world.E)}[direct]
        return listed, chat.room(world.E, direct).json["unread_count"]

    assert counts() == (0, 0)  # E's own message moved E's read state past them
    assert {r["id"]: r["unread_count"] for r in chat.rooms(world.S)}[direct] == 1
    assert chat.room(world.S, direct).json["unread_count"] == 1
    more = chat.send(world.S, direct, "later").json["id"]
    assert counts() == (1, 1)
    assert chat.read(world.E, direct, more).json == {"unread_count": 0}
    assert chat.read(world.E, direct, more).json == {"unread_count": 0}  # idempotent
    assert chat.read(world.E, direct, ids[0]).json == {"unread_count": 0}  # never backwards
    assert chat.room(world.E, direct).json["last_read_message_id"] == more
    assert counts() == (0, 0)


def test_read_of_a_message_of_another_room_is_a_404(chat, world, direct):
    other = chat.direct(world.S2, world.E2, status=201).json["id"]
    foreign = chat.send(world.S2, other, "x").json["id"]
    chat.read(world.S, direct, foreign, status=404)


def test_deleted_authors_keep_the_room_readable(chat, world, direct, dbsession):
    chat.send(world.S, direct, "before I go")
    dbsession.delete(world.S)
    dbsession.flush()
    items = chat.history(world.E, direct).json["items"]
    assert items[0]["author"] == {"id": None, "name": "deleted user"}
    assert items[0]["text"] == "before I go"


def test_room_list_runs_the_same_queries_for_1_and_30_rooms(
    chat, world, make_user, queries_for_1_and_30, testapp, as_
):
    def add(n):
        for _ in range(n):
            student = make_user("student")
            room = ChatMemberFactory(user_id=world.E.id, role="moderator").room_id
            ChatMemberFactory(room_id=room, user_id=student.id)
            ChatMessageFactory(room_id=room, author_id=student.id)

    headers = as_(world.E)

    def fetch():
        return testapp.get("/api/chat/rooms/", headers=headers).json["items"]

    small, large = queries_for_1_and_30(add, fetch)
    assert large[0]["unread_count"] == 1 and large[0]["last_message"] is not None


def test_history_runs_the_same_queries_for_1_and_30_messages(
    chat, world, direct, queries_for_1_and_30, testapp, as_
):
    def add(n):
        for _ in range(n):
            ChatMessageFactory(room_id=direct, author_id=world.S.id)

    chat.history(world.E, direct)  # the token exists before counting

    def fetch():
        return chat.history(world.E, direct).json["items"]

    queries_for_1_and_30(add, fetch)


def test_contacts_run_the_same_queries_for_1_and_30_people(
    world, make_user, queries_for_1_and_30, testapp, as_, dbsession
):
    from factories import EnrollmentFactory

    teacher = make_user("teacher")

    def add(n):
        for _ in range(n):
            student = make_user("student")
            EnrollmentFactory(student_id=student.id, subject_id=world.x.id, teacher_id=teacher.id)
        dbsession.flush()

    headers = as_(teacher)

    def fetch():
        items = testapp.get("/api/chat/contacts/", headers=headers).json["items"]
        return [i for i in items if i["role"] == "student"]

    queries_for_1_and_30(add, fetch)
