"""Schemas of the backups API: request bodies, the list query, and the backup record."""

from __future__ import annotations

from typing import Any

import colander

from thebot.backups.models import BackupStatus, BackupType
from thebot.pagination import PaginationQuery
from thebot.schemas import StrictMapping

TYPES = tuple(t.value for t in BackupType)
STATUSES = tuple(s.value for s in BackupStatus)
MAX_ID = 2**31 - 1


class JSONInteger(colander.SchemaType):
    """A JSON number that is an integer: ``"5"``, ``5.5`` and ``true`` are refused."""

    json_schema = {"type": "integer"}  # read by thebot.openapi

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, bool) or not isinstance(cstruct, int):
            raise colander.Invalid(node, "Expected an integer")
        return cstruct


class JSONBoolean(colander.SchemaType):
    """JSON ``true`` or ``false`` only (colander's Boolean reads ``"banana"`` as true)."""

    json_schema = {"type": "boolean"}

    def serialize(self, node: Any, appstruct: Any) -> Any:
        return appstruct

    def deserialize(self, node: Any, cstruct: Any) -> Any:
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, bool):
            raise colander.Invalid(node, "Expected true or false")
        return cstruct


def must_confirm(node: Any, value: bool) -> None:
    if value is not True:
        raise colander.Invalid(node, "Must be true: a restore replaces all data and media")


class CreateBody(StrictMapping):
    type = colander.SchemaNode(
        colander.String(),
        validator=colander.OneOf(TYPES),
        description="full, or incremental (changes since the newest backup)",
    )


class CreateBackupRequest(colander.MappingSchema):
    body = CreateBody()


class RestoreBody(StrictMapping):
    backup_id = colander.SchemaNode(JSONInteger(), validator=colander.Range(1, MAX_ID))
    confirm = colander.SchemaNode(JSONBoolean(), validator=must_confirm)


class RestoreRequest(colander.MappingSchema):
    body = RestoreBody()


class BackupListQuery(StrictMapping, PaginationQuery):
    type = colander.SchemaNode(
        colander.String(), validator=colander.OneOf(TYPES), missing=colander.drop
    )
    status = colander.SchemaNode(
        colander.String(), validator=colander.OneOf(STATUSES), missing=colander.drop
    )


class BackupListRequest(colander.MappingSchema):
    querystring = BackupListQuery()


class BackupPath(colander.MappingSchema):
    backup_id = colander.SchemaNode(colander.Integer(), validator=colander.Range(1, MAX_ID))


class BackupRequest(colander.MappingSchema):
    path = BackupPath()
    querystring = StrictMapping(missing=colander.drop)


class VerifyRequest(colander.MappingSchema):
    path = BackupPath()
    body = StrictMapping(missing=colander.drop)


# --- responses ----------------------------------------------------------------------------


def _text(**kw: Any) -> colander.SchemaNode:
    return colander.SchemaNode(colander.String(), missing=None, **kw)


def _int(**kw: Any) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Integer(), missing=None, **kw)


def _object(**kw: Any) -> colander.SchemaNode:
    return colander.SchemaNode(colander.Mapping(unknown="preserve"), **kw)


class VerifySchema(colander.MappingSchema):
    status = _text(description="null (never verified), pending, running, passed, failed")
    progress = _int(description="0-100")
    verified_at = _text(description="RFC 3339")
    error = _text()
    details = _object(description="checked archives, row counts of the trial restore")


class RestoreSchema(colander.MappingSchema):
    status = _text(description="null (never restored), pending, running, completed, failed")
    progress = _int(description="0-100 (stays put while the restore transaction runs)")
    restored_at = _text(description="RFC 3339")
    error = _text()
    details = _object(description="archives applied, rows, safety_backup_id, seconds")


class BackupSchema(colander.MappingSchema):
    id = colander.SchemaNode(colander.Integer())
    type = colander.SchemaNode(colander.String(), description="full or incremental")
    origin = colander.SchemaNode(colander.String(), description="manual, scheduled, safety")
    status = colander.SchemaNode(
        colander.String(), description="pending, running, completed, failed"
    )
    progress = colander.SchemaNode(colander.Integer(), description="0-100")
    message = colander.SchemaNode(colander.String())
    parent_id = _int(description="the backup an incremental builds on")
    file = _text(description="archive file name in the backup directory")
    size = _int(description="bytes")
    checksum = _text(description="SHA-256 of the archive file")
    format_version = _int()
    app_version = _text()
    alembic_revision = _text()
    extendable = colander.SchemaNode(
        colander.Boolean(), description="may be an incremental's parent"
    )
    summary = _object(description="tables, rows, deleted rows, media files and bytes")
    error = _text()
    created_by_id = _int()
    created_at = colander.SchemaNode(colander.String(), description="RFC 3339")
    started_at = _text()
    completed_at = _text()
    verify = VerifySchema()
    restore = RestoreSchema()


class BackupList(colander.SequenceSchema):
    backup = BackupSchema()


class BackupPage(colander.MappingSchema):
    items = BackupList()
    next_cursor = _text()


LIST_RESPONSES = {"200": BackupPage(description="Backups, newest first")}
ONE_RESPONSES = {"200": BackupSchema(description="One backup")}
ACCEPTED_RESPONSES = {"202": BackupSchema(description="Accepted: a worker does the work")}
