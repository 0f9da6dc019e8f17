"""Schemas of the notification API: list filters, preference updates, responses."""

from __future__ import annotations

from typing import Any

import colander
from pyramid.threadlocal import get_current_registry

from thebot.notifications.service import CHANNELS, categories
from thebot.pagination import PaginationQuery
from thebot.schemas import ClockTime, QueryBoolean, StrictMapping, TimezoneName


def known_categories() -> list[str]:
    """The category names of the app serving the current request.

    Categories live in the app's registry (``config.add_notification_category``), and Cornice
    does not bind request schemas to the request: the schema reads the registry Pyramid
    makes current while it serves a request (the OpenAPI document is built in one too).
    """
    return sorted(categories(get_current_registry()))


class CategorySwitches(colander.SchemaType):
    """``{category: {"in_app": bool, "email": bool}}`` for the app's categories (checked when
    a request arrives, so the schema needs no list of its own)."""

    @staticmethod
    def json_schema(node: Any) -> dict[str, Any]:
        """Read by thebot.openapi, while it serves the document."""
        return {
            "type": "object",
            "propertyNames": {"enum": known_categories()},
            "additionalProperties": {
                "type": "object",
                "properties": {channel: {"type": "boolean"} for channel in CHANNELS},
                "additionalProperties": False,
            },
        }

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, "Expected an object of categories")
        problems: list[str] = []
        result: dict[str, dict[str, bool]] = {}
        names = known_categories()
        for name, switches in cstruct.items():
            if name not in names:
                known = ", ".join(names)
                problems.append(f"unknown category {name!r} (known: {known})")
                continue
            if not isinstance(switches, dict):
                problems.append(f'{name}: expected an object like {{"email": false}}')
                continue
            for channel, value in switches.items():
                if channel not in CHANNELS:
                    problems.append(f"{name}: unknown channel {channel!r} (in_app, email)")
                elif not isinstance(value, bool):
                    problems.append(f"{name}.{channel}: expected true or false")
                else:
                    result.setdefault(name, {})[channel] = value
        if problems:
            raise colander.Invalid(node, "; ".join(problems))
        return result


class NotificationListQuery(StrictMapping, PaginationQuery):
    unread = colander.SchemaNode(
        QueryBoolean(), missing=False, description="Only notifications not read yet"
    )


class NotificationListRequest(colander.MappingSchema):
    querystring = NotificationListQuery()


class PreferencesPatch(StrictMapping):
    categories = colander.SchemaNode(
        CategorySwitches(),
        missing=colander.drop,
        description='Per category, per channel: {"lessons": {"email": false}}',
    )
    quiet_hours_start = colander.SchemaNode(
        ClockTime(), missing=colander.drop, description='"HH:MM" in the user\'s time zone, or null'
    )
    quiet_hours_end = colander.SchemaNode(
        ClockTime(), missing=colander.drop, description='"HH:MM" in the user\'s time zone, or null'
    )
    timezone = colander.SchemaNode(TimezoneName(), missing=colander.drop)


class PreferencesPatchRequest(colander.MappingSchema):
    querystring = StrictMapping(missing=colander.drop)
    body = PreferencesPatch()


# --- responses (OpenAPI) --------------------------------------------------------------------


class NotificationSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    kind = colander.SchemaNode(colander.String(), description="<category>.<event>")
    category = colander.SchemaNode(colander.String())
    title = colander.SchemaNode(colander.String())
    body = colander.SchemaNode(colander.String())
    data = colander.SchemaNode(colander.Mapping(unknown="preserve"))
    created_at = colander.SchemaNode(colander.String(), description="RFC 3339, UTC")
    read_at = colander.SchemaNode(colander.String(), missing=None)
    is_read = colander.SchemaNode(colander.Boolean())


class NotificationList(colander.SequenceSchema):
    notification = NotificationSchema()


class NotificationPage(colander.MappingSchema):
    items = NotificationList()
    next_cursor = colander.SchemaNode(colander.String(), missing=None)
    unread_count = colander.SchemaNode(colander.Integer())


class ReadAllResult(colander.MappingSchema):
    updated = colander.SchemaNode(colander.Integer(), description="Notifications marked read")


class PreferencesSchema(colander.MappingSchema):
    categories = colander.SchemaNode(
        colander.Mapping(unknown="preserve"), description="{category: {in_app, email}}"
    )
    quiet_hours_start = colander.SchemaNode(colander.String(), missing=None)
    quiet_hours_end = colander.SchemaNode(colander.String(), missing=None)
    timezone = colander.SchemaNode(colander.String())


class NotificationPageResponse(colander.MappingSchema):
    body = NotificationPage()


class NotificationResponse(colander.MappingSchema):
    body = NotificationSchema()


class ReadAllResponse(colander.MappingSchema):
    body = ReadAllResult()


class PreferencesResponse(colander.MappingSchema):
    body = PreferencesSchema()


LIST_RESPONSES = {
    "200": NotificationPageResponse(description="The caller's notifications, newest first")
}
ONE_RESPONSES = {"200": NotificationResponse(description="The notification, now read")}
READ_ALL_RESPONSES = {"200": ReadAllResponse(description="How many were marked read")}
PREFERENCES_RESPONSES = {"200": PreferencesResponse(description="Effective preferences")}
