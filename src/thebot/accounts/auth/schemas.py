"""Colander schemas of the authentication endpoints (requests and, for OpenAPI, responses)."""

from __future__ import annotations

import colander

from thebot.accounts.credentials.passwords import MAX_LENGTH
from thebot.schemas import StrictMapping

STRICT_BOOLEAN = colander.Boolean(false_choices=("false", "0"), true_choices=("true", "1"))


def _password(description: str) -> colander.SchemaNode:
    # Longer than any acceptable password: the rules report "too long", login just fails.
    return colander.SchemaNode(
        colander.String(), validator=colander.Length(1, MAX_LENGTH * 4), description=description
    )


class NoQuery(colander.MappingSchema):
    querystring = StrictMapping(missing=colander.drop)


class NoBody(colander.MappingSchema):
    querystring = StrictMapping(missing=colander.drop)
    body = StrictMapping(missing=colander.drop)


class LoginBody(StrictMapping):
    login = colander.SchemaNode(
        colander.String(), validator=colander.Length(1, 254), description="Email or username"
    )
    password = _password("The account's password")
    session = colander.SchemaNode(
        STRICT_BOOLEAN,
        missing=False,
        description="Start a browser session (cookie) instead of returning an API token",
    )


class LoginRequest(NoQuery):
    body = LoginBody()


class ChangePasswordBody(StrictMapping):
    old_password = _password("The current password")
    new_password = _password("The new password (checked against the password rules)")


class ChangePasswordRequest(NoQuery):
    body = ChangePasswordBody()


class PasswordResetBody(StrictMapping):
    email = colander.SchemaNode(
        colander.String(), validator=colander.All(colander.Length(3, 254), colander.Email())
    )


class PasswordResetRequest(NoQuery):
    body = PasswordResetBody()


class PasswordResetConfirmBody(StrictMapping):
    token = colander.SchemaNode(
        colander.String(), validator=colander.Length(1, 256), description="Token from the email"
    )
    new_password = _password("The new password (checked against the password rules)")


class PasswordResetConfirmRequest(NoQuery):
    body = PasswordResetConfirmBody()


# Responses (documentation only).


class BriefUser(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    username = colander.SchemaNode(colander.String())
    full_name = colander.SchemaNode(colander.String())
    role = colander.SchemaNode(colander.String())


class UserBody(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    email = colander.SchemaNode(colander.String())
    username = colander.SchemaNode(colander.String())
    first_name = colander.SchemaNode(colander.String())
    last_name = colander.SchemaNode(colander.String())
    full_name = colander.SchemaNode(colander.String())
    phone = colander.SchemaNode(colander.String(), missing=None)
    role = colander.SchemaNode(
        colander.String(),
        validator=colander.OneOf(["student", "teacher", "tutor", "parent", "admin"]),
    )
    is_active = colander.SchemaNode(colander.Boolean())
    is_staff = colander.SchemaNode(colander.Boolean())
    created_at = colander.SchemaNode(colander.DateTime())
    last_login = colander.SchemaNode(colander.DateTime(), missing=None)
    profile = colander.SchemaNode(
        colander.Mapping(unknown="preserve"),
        missing=None,
        description="The role profile: student, teacher, tutor or parent fields; null for admins",
    )


class LoginResponseBody(colander.MappingSchema):
    token = colander.SchemaNode(
        colander.String(), missing=None, description="API token (null for a browser session)"
    )
    expires_at = colander.SchemaNode(colander.DateTime())
    user = UserBody()
    csrf_token = colander.SchemaNode(
        colander.String(), missing=colander.drop, description="Browser sessions only"
    )


class LoginResponse(colander.MappingSchema):
    body = LoginResponseBody()


class MeResponse(colander.MappingSchema):
    body = UserBody()


class CsrfResponseBody(colander.MappingSchema):
    csrf_token = colander.SchemaNode(
        colander.String(), missing=None, description="Null unless the caller has a browser session"
    )


class CsrfResponse(colander.MappingSchema):
    body = CsrfResponseBody()


class AcceptedResponseBody(colander.MappingSchema):
    detail = colander.SchemaNode(colander.String())


class AcceptedResponse(colander.MappingSchema):
    body = AcceptedResponseBody()


class EmptyResponse(colander.MappingSchema):
    pass
