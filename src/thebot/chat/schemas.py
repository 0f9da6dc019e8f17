"""Response schemas shared by the chat API (the OpenAPI document; the event payloads are the
same objects)."""

from __future__ import annotations

import colander

from thebot.media.schemas import MediaFileSchema


def node(typ: colander.SchemaType, **kw: object) -> colander.SchemaNode:
    return colander.SchemaNode(typ, **kw)


def nullable(typ: colander.SchemaType, **kw: object) -> colander.SchemaNode:
    return colander.SchemaNode(typ, missing=None, **kw)


class PersonSchema(colander.MappingSchema):
    id = nullable(colander.Integer(), description="null: a deleted user")
    name = node(colander.String(), description='"deleted user" for a deleted account')


class Attachments(colander.SequenceSchema):
    file = MediaFileSchema()


class MessageSchema(colander.MappingSchema):
    id = node(colander.Integer())
    room_id = node(colander.Integer())
    author = PersonSchema()
    text = node(colander.String(), description="Empty once deleted")
    reply_to = nullable(colander.Integer())
    attachments = Attachments()
    created_at = node(colander.String(), description="RFC 3339")
    edited_at = nullable(colander.String())
    deleted = node(colander.Boolean())
    deleted_at = nullable(colander.String())
    pinned = node(colander.Boolean())
    pinned_at = nullable(colander.String())


class MessageList(colander.SequenceSchema):
    message = MessageSchema()


class MessagePage(colander.MappingSchema):
    items = MessageList()
    next_cursor = nullable(colander.String())


class People(colander.SequenceSchema):
    person = PersonSchema()


class RoomSchema(colander.MappingSchema):
    id = node(colander.Integer())
    type = node(colander.String(), validator=colander.OneOf(("direct", "group", "subject")))
    name = node(colander.String(), description="Empty for direct rooms")
    subject_id = nullable(colander.Integer())
    locked = node(colander.Boolean())
    archived = node(colander.Boolean())
    archived_at = nullable(colander.String())
    created_at = node(colander.String())
    activity_at = node(colander.String(), description="The last message's time")
    members_count = node(colander.Integer())
    participants = People(description="Direct rooms: the two people; otherwise empty")
    last_message = MessageSchema(missing=None)
    role = nullable(colander.String(), description="The caller's role: member or moderator")
    muted = node(colander.Boolean())
    read_only = node(colander.Boolean())
    last_read_message_id = nullable(colander.Integer())
    unread_count = node(colander.Integer())


class RoomList(colander.SequenceSchema):
    room = RoomSchema()


class RoomPage(colander.MappingSchema):
    items = RoomList()
    next_cursor = nullable(colander.String())


class MemberSchema(colander.MappingSchema):
    user = PersonSchema()
    role = node(colander.String(), validator=colander.OneOf(("member", "moderator")))
    muted = node(colander.Boolean())
    read_only = node(colander.Boolean())
    joined_at = node(colander.String())


class MemberList(colander.SequenceSchema):
    member = MemberSchema()


class MemberPage(colander.MappingSchema):
    items = MemberList()
    next_cursor = nullable(colander.String())


class ContactSchema(colander.MappingSchema):
    id = node(colander.Integer())
    name = node(colander.String())
    role = node(colander.String())


class ContactList(colander.SequenceSchema):
    contact = ContactSchema()


class ContactPage(colander.MappingSchema):
    items = ContactList()
    next_cursor = nullable(colander.String())


class ReadResult(colander.MappingSchema):
    unread_count = node(colander.Integer())
