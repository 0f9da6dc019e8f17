"""Request schemas of the rooms API (responses: ``thebot.chat.schemas``)."""

from __future__ import annotations

import colander

from thebot.pagination import PaginationQuery
from thebot.schemas import DROP, Field, QueryBoolean, StrictMapping, boolean, object_id, text

ROOM_TYPES = ("direct", "group", "subject")
ROLES = ("member", "moderator")
MAX_GROUP_MEMBERS = 500


class RoomsQuery(StrictMapping, PaginationQuery):
    type = Field(colander.String(), validator=colander.OneOf(ROOM_TYPES), missing=DROP)
    archived = colander.SchemaNode(
        QueryBoolean(), missing=False, description="Archived rooms instead of the open ones"
    )


class RoomsListRequest(colander.MappingSchema):
    querystring = RoomsQuery()


class MemberIds(colander.SequenceSchema):
    member_id = object_id()
    validator = colander.Length(0, MAX_GROUP_MEMBERS)


class CreateRoomBody(StrictMapping):
    type = Field(colander.String(), validator=colander.OneOf(("direct", "group")))
    user_id = object_id(missing=DROP, description="direct: the other person")
    name = text(200, min_length=1, missing=DROP, description="group: its name")
    member_ids = MemberIds(missing=DROP, description="group: the first members")


class CreateRoomRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = CreateRoomBody()


class UpdateRoomBody(StrictMapping):
    name = text(200, min_length=1, missing=DROP)
    locked = boolean(missing=DROP)


class UpdateRoomRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = UpdateRoomBody()


class AddMemberBody(StrictMapping):
    user_id = object_id()
    role = Field(colander.String(), validator=colander.OneOf(ROLES), missing="member")


class AddMemberRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = AddMemberBody()


class UpdateMemberBody(StrictMapping):
    role = Field(colander.String(), validator=colander.OneOf(ROLES), missing=DROP)
    muted = boolean(missing=DROP)


class UpdateMemberRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=DROP)
    body = UpdateMemberBody()


class ContactsQuery(StrictMapping, PaginationQuery):
    pass


class ContactsRequest(colander.MappingSchema):
    querystring = ContactsQuery()
