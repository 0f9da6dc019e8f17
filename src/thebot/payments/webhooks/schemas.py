"""Schemas of provider notifications and of the sandbox page."""

from __future__ import annotations

from typing import Any

import colander

from thebot.schemas import Field, StrictMapping


class NotificationObject(colander.MappingSchema):
    """The provider's object: only its id is read (the rest is fetched again)."""

    id = Field(colander.String(), validator=colander.Length(1, 64))

    def schema_type(self, **kw: Any) -> colander.Mapping:
        return colander.Mapping(unknown="ignore")


class NotificationBody(colander.MappingSchema):
    type = Field(colander.String(), validator=colander.Length(1, 64), missing="notification")
    event = Field(colander.String(), validator=colander.Length(1, 64))
    object = NotificationObject()

    def schema_type(self, **kw: Any) -> colander.Mapping:
        return colander.Mapping(unknown="ignore")  # the provider may add fields any day


class NotificationRequest(colander.MappingSchema):
    body = NotificationBody()


class NotificationAnswer(colander.MappingSchema):
    status = colander.SchemaNode(colander.String())


class SandboxDecisionBody(StrictMapping):
    action = Field(colander.String(), validator=colander.OneOf(("pay", "fail")))


class SandboxDecisionRequest(colander.MappingSchema):
    body = SandboxDecisionBody()
