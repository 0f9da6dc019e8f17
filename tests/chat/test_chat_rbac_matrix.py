"""RBAC matrix: room type x caller role x membership x action.

The rules (``thebot.chat.access``): members see a room; admins also see every group and
subject room (to moderate), never other people's direct rooms; anyone else gets a 404.
Members post and move their read state; moderators (and admins, outside direct rooms)
rename/lock, pin, manage members (group rooms: subject rooms follow enrollments, 409) and
archive with DELETE; a plain member's DELETE leaves (subject rooms: 409).
"""

from __future__ import annotations

import pytest

from factories import ChatMemberFactory, ChatMessageFactory, ChatRoomFactory, SubjectFactory

ROLES = ("admin", "teacher", "tutor", "parent", "student")
TYPES = ("direct", "group", "subject")
MEMBERSHIPS = ("none", "member", "moderator")
ACTIONS = ("view", "history", "post", "read", "patch", "pin", "add_member", "delete")


def expected(room_type: str, role: str, membership: str, action: str) -> int:
    admin = role == "admin"
    member = membership != "none"
    if not (member or (admin and room_type != "direct")):
        return 404
    moderator = room_type != "direct" and (admin or membership == "moderator")
    if action in ("view", "history"):
        return 200
    if action == "post":
        return 201 if member else 403
    if action == "read":
        return 200 if member else 403
    if action in ("patch", "pin"):
        return 200 if moderator else 403
    if action == "add_member":
        if not moderator:
            return 403
        return 409 if room_type == "subject" else 201
    assert action == "delete"
    if moderator:
        return 204
    return 409 if room_type == "subject" else 204


def cases():
    for room_type in TYPES:
        for role in ROLES:
            for membership in MEMBERSHIPS:
                if room_type == "direct" and membership == "moderator":
                    continue  # direct rooms have no moderators
                yield pytest.param(
                    room_type, role, membership, id=f"{room_type}-{role}-{membership}"
                )


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("room_type, role, membership", list(cases()))
def test_rbac_matrix(room_type, role, membership, make_user, as_, testapp, dbsession):
    caller = make_user(role)
    newcomer = make_user("admin")  # everyone's contact: adding them is about the room only

    def make_room():
        other = make_user("student")  # a fresh pair per direct room (one room per pair)
        values = {"type": room_type, "name": "" if room_type == "direct" else "Room"}
        if room_type == "direct":
            pair = (caller.id, other.id) if membership != "none" else (other.id, make_user().id)
            values.update(direct_low_id=min(pair), direct_high_id=max(pair))
        if room_type == "subject":
            values.update(subject_id=SubjectFactory().id, teacher_id=make_user("teacher").id)
        room = ChatRoomFactory(**values)
        ChatMemberFactory(room_id=room.id, user_id=other.id)
        if membership != "none":
            ChatMemberFactory(room_id=room.id, user_id=caller.id, role=membership)
        message = ChatMessageFactory(room_id=room.id, author_id=other.id)
        dbsession.flush()
        return room.id, message.id

    headers = as_(caller)
    answers = {}
    for action in ACTIONS:
        room_id, message_id = make_room()
        base = f"/api/chat/rooms/{room_id}/"
        kw = {"headers": headers, "status": "*"}
        if action == "view":
            res = testapp.get(base, **kw)
        elif action == "history":
            res = testapp.get(base + "messages/", **kw)
        elif action == "post":
            res = testapp.post_json(base + "messages/", {"text": "hi"}, **kw)
        elif action == "read":
            res = testapp.post_json(base + "read/", {"message_id": message_id}, **kw)
        elif action == "patch":
            res = testapp.patch_json(base, {"locked": True}, **kw)
        elif action == "pin":
            res = testapp.post_json(f"/api/chat/messages/{message_id}/pin/", {}, **kw)
        elif action == "add_member":
            res = testapp.post_json(base + "members/", {"user_id": newcomer.id}, **kw)
        else:
            res = testapp.delete(base, **kw)
        answers[action] = res.status_int
    wanted = {a: expected(room_type, role, membership, a) for a in ACTIONS}
    assert answers == wanted
