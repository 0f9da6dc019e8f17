"""Attachments: multipart with ``files`` (type sniffed, size-limited), served only to the
room's members; a deleted message takes its files along."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("frozen")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def send_file(testapp, as_, user, room, name="notes.pdf", data=PDF, text="see attached", **kw):
    return testapp.post(
        f"/api/chat/rooms/{room}/messages/",
        {"text": text},
        upload_files=[("files", name, data)],
        headers=as_(user),
        **kw,
    )


def test_attachments_are_served_to_members_only(chat, world, testapp, as_):
    room = chat.direct(world.S, world.E, status=201).json["id"]
    sent = send_file(testapp, as_, world.S, room, status=201).json
    [file] = sent["attachments"]
    assert file["content_type"] == "application/pdf" and file["size"] == len(PDF)
    assert chat.history(world.E, room).json["items"][0]["attachments"] == [file]
    assert testapp.get(file["url"], headers=as_(world.E)).body == PDF
    assert testapp.get(file["url"], headers=as_(world.S)).body == PDF
    for outsider in (world.T, world.P, world.S2, world.A):  # admins: not in others' directs
        testapp.get(file["url"], headers=as_(outsider), status=404)
    testapp.get(file["url"], status=401)


def test_files_alone_need_no_text_and_bad_types_are_refused(chat, world, testapp, as_):
    room = chat.direct(world.S, world.E, status=201).json["id"]
    only = send_file(testapp, as_, world.S, room, text="", status=201).json
    assert only["text"] == "" and len(only["attachments"]) == 1
    fake = send_file(testapp, as_, world.S, room, name="x.pdf", data=b"MZ\x90\x00", status="*")
    assert fake.status_int in (400, 415)
    assert len(chat.history(world.E, room).json["items"]) == 1  # nothing kept of the refusal


def test_deleting_a_message_removes_its_files(chat, world, testapp, as_):
    room = chat.direct(world.S, world.E, status=201).json["id"]
    sent = send_file(testapp, as_, world.S, room, status=201).json
    url = sent["attachments"][0]["url"]
    testapp.delete(f"/api/chat/messages/{sent['id']}/", headers=as_(world.S))
    testapp.get(url, headers=as_(world.E), status=404)
