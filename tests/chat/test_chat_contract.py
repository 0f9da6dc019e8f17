"""Every chat answer of a realistic walk matches the OpenAPI document (status declared, body
valid under its schema, no undocumented field)."""

from __future__ import annotations

import pytest

from contract.validation import Contract

pytestmark = pytest.mark.usefixtures("frozen")
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_chat_answers_match_the_document(testapp, as_, world, chat):
    contract = Contract(testapp.get("/api/openapi.json").json)
    s, e = as_(world.S), as_(world.E)

    def call(method, path, user, body=None, **kw):
        if body is None and method in ("GET", "DELETE"):
            res = testapp.request(path, method=method, headers=user, expect_errors=True)
        elif "upload_files" in kw:
            res = testapp.post(path, body, headers=user, expect_errors=True, **kw)
        else:
            res = getattr(testapp, f"{method.lower()}_json")(
                path, body or {}, headers=user, expect_errors=True
            )
        contract.check(method, path, res)
        return res

    direct = call("POST", "/api/chat/rooms/", s, {"type": "direct", "user_id": world.E.id})
    call("POST", "/api/chat/rooms/", s, {"type": "direct", "user_id": world.E.id})
    call("POST", "/api/chat/rooms/", s, {"type": "direct", "user_id": world.S2.id})
    group = call("POST", "/api/chat/rooms/", e, {"type": "group", "name": "G", "member_ids": []})
    call("POST", "/api/chat/rooms/", s, {"type": "group", "name": "G", "member_ids": []})
    room, gid = direct.json["id"], group.json["id"]
    base = f"/api/chat/rooms/{room}/"
    sent = call("POST", base + "messages/", s, {"text": "hello"}).json
    call(
        "POST", base + "messages/", s, {"text": "see file"}, upload_files=[("files", "a.pdf", PDF)]
    )
    call("POST", base + "messages/", s, {"text": ""})
    call("POST", base + "messages/", as_(world.T), {"text": "intruder"})
    call("GET", "/api/chat/rooms/", e)
    call("GET", "/api/chat/rooms/?type=direct&archived=false", e)
    call("GET", base, e)
    call("GET", base + "messages/", e)
    call("GET", base + f"messages/?before={sent['id']}&q=hello", e)
    call("GET", base + "members/", e)
    call("POST", base + "read/", e, {"message_id": sent["id"]})
    call("PATCH", f"/api/chat/messages/{sent['id']}/", s, {"text": "edited"})
    call("PATCH", f"/api/chat/messages/{sent['id']}/", e, {"text": "not mine"})
    call("POST", f"/api/chat/messages/{sent['id']}/pin/", e, {})
    call("DELETE", f"/api/chat/messages/{sent['id']}/", s)
    call("GET", "/api/chat/contacts/", s)
    g = f"/api/chat/rooms/{gid}/"
    call("PATCH", g, e, {"name": "Renamed", "locked": True})
    call("POST", g + "members/", e, {"user_id": world.S.id})
    call("PATCH", g + f"members/{world.S.id}/", e, {"muted": True, "role": "moderator"})
    call("DELETE", g + f"members/{world.S.id}/", e)
    call("POST", g + "members/", e, {"user_id": world.S2.id})
    call("DELETE", g, e)
    call("DELETE", base, s)
    call("GET", "/api/chat/rooms/999999/", s)
