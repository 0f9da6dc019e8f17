"""Colander schemas of the users API: request bodies, query strings and responses (the
field nodes here are shared with the relationships API)."""

from __future__ import annotations

import re
from typing import Any

import colander

from thebot.accounts.models import ROLES
from thebot.pagination import PaginationQuery
from thebot.schemas import (
    DROP,
    MAX_TEXT,
    Field,
    StrictMapping,
    boolean,
    integer,
    object_id,
    optional,
    text,
)

PHONE_STRIP_RE = re.compile(r"[\s().-]")
PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@+-]{2,149}$")


def normalise_phone(value: str | None) -> str | None:
    """``+7 (912) 345-67-89`` -> ``+79123456789``; ``None``/empty clears the phone."""
    if not value:
        return None
    return PHONE_STRIP_RE.sub("", value)


def validate_phone(node: Any, value: Any) -> None:
    if value and not PHONE_RE.match(normalise_phone(value) or ""):
        raise colander.Invalid(node, "Enter the phone in international format, e.g. +79123456789")


def validate_email(node: Any, value: Any) -> None:
    colander.Length(3, 254)(node, value)
    colander.Email("Invalid email address")(node, value)


def validate_username(node: Any, value: Any) -> None:
    if not USERNAME_RE.match(value.lower()):
        raise colander.Invalid(
            node,
            "3-150 characters: letters, digits and . _ @ + -, starting with a letter or digit",
        )


def email_node(**kw: Any) -> Any:
    return Field(colander.String(), validator=validate_email, **kw)


def phone_node(**kw: Any) -> Any:
    return Field(colander.String(allow_empty=True), validator=validate_phone, nullable=True, **kw)


def role_node(**kw: Any) -> Any:
    return Field(colander.String(), validator=colander.OneOf(ROLES), **kw)


def username_node(**kw: Any) -> Any:
    return Field(colander.String(), validator=validate_username, **kw)


def password_node(**kw: Any) -> Any:
    return Field(colander.String(), validator=colander.Length(1, 1024), strip=False, **kw)


# --- users ------------------------------------------------------------------------------


class UsersQuery(StrictMapping, PaginationQuery):
    role = role_node(missing=DROP)
    q = text(100, min_length=1, missing=DROP)
    is_active = boolean(missing=DROP)


class UsersListRequest(colander.MappingSchema):
    querystring = UsersQuery()


class CreateUserBody(StrictMapping):
    email = email_node()
    role = role_node()
    username = username_node(missing=DROP)
    first_name = text(150, missing="")
    last_name = text(150, missing="")
    phone = phone_node(missing=None)
    password = password_node(missing=DROP)
    is_active = boolean(missing=True)


class CreateUserRequest(colander.MappingSchema):
    body = CreateUserBody()


class UpdateUserBody(StrictMapping):
    email = email_node(missing=DROP)
    username = username_node(missing=DROP)
    first_name = text(150, missing=DROP)
    last_name = text(150, missing=DROP)
    phone = phone_node(missing=DROP)
    role = role_node(missing=DROP)
    is_active = boolean(missing=DROP)
    password = password_node(missing=DROP)


class UpdateUserRequest(colander.MappingSchema):
    body = UpdateUserBody()


class UpdateProfileBody(StrictMapping):
    """Every profile field of every role; the service rejects those of another role."""

    grade = integer(1, 12, nullable=True, missing=DROP)
    goal = text(MAX_TEXT, missing=DROP)
    tutor_id = object_id(nullable=True, missing=DROP)
    experience_years = integer(0, 80, missing=DROP)
    bio = text(MAX_TEXT, missing=DROP)
    specialization = text(200, missing=DROP)


class UpdateProfileRequest(colander.MappingSchema):
    body = UpdateProfileBody()


class PageQuery(StrictMapping, PaginationQuery):
    pass


class PageRequest(colander.MappingSchema):
    querystring = PageQuery()


# --- responses (OpenAPI) ------------------------------------------------------------


class UserSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    email = colander.SchemaNode(colander.String())
    username = colander.SchemaNode(colander.String())
    first_name = colander.SchemaNode(colander.String())
    last_name = colander.SchemaNode(colander.String())
    phone = colander.SchemaNode(colander.String(), missing=None)
    role = colander.SchemaNode(colander.String(), validator=colander.OneOf(ROLES))
    is_active = colander.SchemaNode(colander.Boolean())
    is_staff = colander.SchemaNode(colander.Boolean())
    created_at = colander.SchemaNode(colander.DateTime())
    last_login = colander.SchemaNode(colander.DateTime(), missing=None)


class UserList(colander.SequenceSchema):
    user = UserSchema()


class UserPage(colander.MappingSchema):
    items = UserList()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)


class BriefUser(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    username = colander.SchemaNode(colander.String())
    first_name = colander.SchemaNode(colander.String())
    last_name = colander.SchemaNode(colander.String())
    role = colander.SchemaNode(colander.String())


class BriefUsers(colander.SequenceSchema):
    user = BriefUser()


class StudentStats(colander.MappingSchema):
    progress_percent = colander.SchemaNode(colander.Integer())
    streak_days = colander.SchemaNode(colander.Integer())
    points = colander.SchemaNode(colander.Integer())
    accuracy_percent = colander.SchemaNode(colander.Integer())


class ProfileSchema(colander.MappingSchema):
    """Fields by role; private ones (goal, tutor, parents, bio, experience_years) only for
    admins, the user, their teachers/tutor and their parents."""

    user_id = colander.SchemaNode(colander.Integer())
    role = colander.SchemaNode(colander.String())
    grade = optional(colander.Integer(), description="student")
    stats = StudentStats(missing=colander.drop, description="student, read-only")
    goal = optional(colander.String(), description="student, private")
    tutor = BriefUser(missing=colander.drop, description="student, private")
    parents = BriefUsers(missing=colander.drop, description="student, private")
    specialization = optional(colander.String(), description="tutor")
    experience_years = optional(colander.Integer(), description="teacher/tutor, private")
    bio = optional(colander.String(), description="teacher/tutor, private")
    children = BriefUsers(missing=colander.drop, description="parent: those the viewer sees")
