"""Colander schemas of the relationships API (students, parent links, pairing codes):
request bodies, query strings and responses."""

from __future__ import annotations

from typing import Any

import colander

from thebot.accounts.users.schemas import (
    ProfileSchema,
    UserSchema,
    email_node,
    phone_node,
)
from thebot.schemas import DROP, MAX_TEXT, StrictMapping, integer, object_id, text


class NewStudentBody(StrictMapping):
    first_name = text(150, min_length=1)
    last_name = text(150, min_length=1)
    email = email_node()
    phone = phone_node(missing=None)
    grade = integer(1, 12, nullable=True, missing=None)
    goal = text(MAX_TEXT, missing="")


class NewParentBody(StrictMapping):
    first_name = text(150, min_length=1)
    last_name = text(150, min_length=1)
    email = email_node()
    phone = phone_node(missing=None)


class CreateStudentBody(StrictMapping):
    """A new student, with a new parent (``parent``) or an existing one (``parent_id``)."""

    student = NewStudentBody()
    parent = NewParentBody(missing=DROP)
    parent_id = object_id(missing=DROP)

    def validator(self, node: Any, value: dict[str, Any]) -> None:
        if "parent" in value and "parent_id" in value:
            error = colander.Invalid(node)
            error["parent_id"] = "Give either a new parent or an existing parent_id, not both"
            raise error


class CreateStudentRequest(colander.MappingSchema):
    body = CreateStudentBody()


class ParentLinkBody(StrictMapping):
    parent_id = object_id()


class ParentLinkRequest(colander.MappingSchema):
    body = ParentLinkBody()


class UnlinkChildQuery(StrictMapping):
    parent = object_id(missing=DROP)


class UnlinkChildRequest(colander.MappingSchema):
    querystring = UnlinkChildQuery()


class CreatePairingCodeBody(StrictMapping):
    student_id = object_id(missing=DROP)


class CreatePairingCodeRequest(colander.MappingSchema):
    body = CreatePairingCodeBody()


class RedeemPairingCodeBody(StrictMapping):
    code = text(32, min_length=1)


class RedeemPairingCodeRequest(colander.MappingSchema):
    body = RedeemPairingCodeBody()


# --- responses (OpenAPI) ------------------------------------------------------------


class StudentSchema(UserSchema):
    profile = ProfileSchema()


class StudentList(colander.SequenceSchema):
    student = StudentSchema()


class StudentPage(colander.MappingSchema):
    items = StudentList()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)


class Credentials(colander.MappingSchema):
    user_id = colander.SchemaNode(colander.Integer())
    role = colander.SchemaNode(colander.String())
    username = colander.SchemaNode(colander.String())
    password = colander.SchemaNode(colander.String(), description="Shown this once")


class CredentialsList(colander.SequenceSchema):
    credentials = Credentials()


class CreatedStudent(colander.MappingSchema):
    student = StudentSchema()
    parent = UserSchema(missing=None)
    credentials = CredentialsList()


class ParentLinkSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    student_id = colander.SchemaNode(colander.Integer())
    parent = UserSchema()
    created_at = colander.SchemaNode(colander.DateTime())
    created_by_id = colander.SchemaNode(colander.Integer(), missing=None)


class ParentLinkList(colander.SequenceSchema):
    link = ParentLinkSchema()


class ParentLinkPage(colander.MappingSchema):
    items = ParentLinkList()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)


class RedeemedSchema(colander.MappingSchema):
    child = StudentSchema()
    link_id = colander.SchemaNode(colander.Integer())


class PairingCodeSchema(colander.MappingSchema):
    code = colander.SchemaNode(colander.String(), description="Shown once; 8 characters")
    student_id = colander.SchemaNode(colander.Integer())
    expires_at = colander.SchemaNode(colander.DateTime())
