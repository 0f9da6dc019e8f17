"""Rooms: direct get-or-create (one room per pair, whichever side asks), who may start a
direct chat, contacts, groups, leave vs archive, members."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from thebot.chat.models import ChatRoom

pytestmark = pytest.mark.usefixtures("frozen")


def test_direct_room_is_the_same_whichever_side_asks(chat, world, dbsession):
    first = chat.direct(world.S, world.E, status=201).json
    again = chat.direct(world.S, world.E, status=200).json
    other_side = chat.direct(world.E, world.S, status=200).json
    assert first["id"] == again["id"] == other_side["id"]
    assert first["type"] == "direct" and first["members_count"] == 2
    assert sorted(p["id"] for p in first["participants"]) == sorted([world.S.id, world.E.id])
    count = dbsession.scalar(select(func.count()).select_from(ChatRoom))
    assert count == 1


def test_direct_get_or_create_never_returns_a_group_room(chat, world):
    group = chat.group(world.E, world.S).json
    direct = chat.direct(world.E, world.S, status=201).json
    assert direct["id"] != group["id"] and direct["type"] == "direct"


@pytest.mark.parametrize(
    "caller, other, allowed",
    [
        ("A", "S2", True),  # admin and anyone
        ("S2", "A", True),
        ("S", "E", True),  # student and their teacher
        ("S", "T", True),  # student and their tutor
        ("E", "P", True),  # teacher and parents of their students
        ("E", "T", True),  # teacher and a tutor sharing a student
        ("T", "E", True),
        ("T", "P", True),  # tutor and parents of their students
        ("P", "E", True),
        ("P", "T", True),
        ("S", "E2", False),  # never a student and an unrelated adult
        ("S", "T2", False),
        ("S", "P2", False),
        ("S", "S2", False),
        ("E", "S2", False),
        ("E", "E2", False),
        ("T", "P2", False),
        ("P", "E2", False),
        ("P", "P2", False),
        ("S", "P", False),  # not in the rules
        ("S", "S", False),  # nobody chats with themself
    ],
)
def test_who_may_start_a_direct_chat(chat, world, caller, other, allowed):
    res = chat.direct(world.people[caller], world.people[other])
    assert res.status_int == (201 if allowed else 400), res.text
    contacts = chat_contacts(chat, world, caller)
    assert (world.people[other].id in contacts) is allowed


def chat_contacts(chat, world, caller):
    res = chat.get("/api/chat/contacts/", world.people[caller])
    return {item["id"] for item in res.json["items"]}


def test_lock_mute_and_roles(chat, world, testapp, as_):
    room = chat.group(world.E, world.S, world.P).json["id"]
    base = f"/api/chat/rooms/{room}/"
    locked = testapp.patch_json(base, {"locked": True}, headers=as_(world.E)).json
    assert locked["locked"] is True
    chat.send(world.S, room, "may I?", status=403)
    chat.send(world.E, room, "announcement")  # moderators still post in a locked room
    testapp.patch_json(base, {"locked": False, "name": "Renamed"}, headers=as_(world.E))
    testapp.patch_json(f"{base}members/{world.S.id}/", {"muted": True}, headers=as_(world.E))
    chat.send(world.S, room, "muted", status=403)
    chat.send(world.P, room, "not muted")
    promoted = testapp.patch_json(
        f"{base}members/{world.P.id}/", {"role": "moderator"}, headers=as_(world.E)
    ).json
    assert promoted["role"] == "moderator"
    testapp.patch_json(f"{base}members/{world.S.id}/", {"muted": False}, headers=as_(world.P))
    chat.send(world.S, room, "back")
    assert chat.room(world.S, room).json["name"] == "Renamed"


def test_leave_is_for_me_archive_is_for_everyone(chat, world, testapp, as_):
    room = chat.group(world.E, world.S, world.P).json["id"]
    testapp.delete(f"/api/chat/rooms/{room}/", headers=as_(world.S), status=204)
    chat.room(world.S, room, status=404)
    assert chat.room(world.P, room).json["members_count"] == 2
    testapp.delete(f"/api/chat/rooms/{room}/", headers=as_(world.E), status=204)
    archived = chat.room(world.P, room).json
    assert archived["archived"] is True
    chat.send(world.E, room, "after the archive", status=403)
    assert room not in {r["id"] for r in chat.rooms(world.P)}
    assert room in {r["id"] for r in chat.rooms(world.P, archived="true")}


def test_a_left_direct_room_comes_back_with_the_next_message(chat, world, testapp, as_):
    room = chat.direct(world.S, world.E, status=201).json["id"]
    testapp.delete(f"/api/chat/rooms/{room}/", headers=as_(world.S), status=204)
    assert room not in {r["id"] for r in chat.rooms(world.S)}
    chat.send(world.E, room, "still there?")
    assert room in {r["id"] for r in chat.rooms(world.S)}


def test_sending_is_rate_limited(chat, world, app, monkeypatch):
    room = chat.direct(world.S, world.E, status=201).json["id"]
    monkeypatch.setitem(app.registry.settings, "rate_limit_enabled", True)
    monkeypatch.setitem(app.registry.settings, "chat_send_rate", "2/minute")
    chat.send(world.S, room, "one")
    chat.send(world.S, room, "two")
    res = chat.send(world.S, room, "three", status=429)
    assert res.headers["Retry-After"]
    assert res.json["type"].endswith("/rate-limited")
