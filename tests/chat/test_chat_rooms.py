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
