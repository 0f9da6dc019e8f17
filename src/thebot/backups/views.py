"""``/api/system/backups/``: list, create, read, verify and restore backups (admins only).

Every view names ``MANAGE_SYSTEM`` (granted to ``role:admin`` only; the monitoring token
cannot reach backups). Slow work goes to the ``backups`` actors after the commit; the views
answer 202 with the record, whose status and progress the client then polls.
"""

from __future__ import annotations

import os
from typing import Any

from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.backups import service
from thebot.backups.engine.format import BackupError
from thebot.backups.models import Backup
from thebot.backups.schemas import (
    ACCEPTED_RESPONSES,
    LIST_RESPONSES,
    ONE_RESPONSES,
    BackupListRequest,
    BackupRequest,
    CreateBackupRequest,
    RestoreRequest,
    VerifyRequest,
)
from thebot.errors import APIProblem
from thebot.pagination import page_body, paginate_request
from thebot.permissions import MANAGE_SYSTEM
from thebot.responses import with_etag
from thebot.tasks import enqueue

TAGS = ["system"]

backups = ApiService(
    name="system_backups", path="/api/system/backups/", description="Backups (admins)"
)
create = ApiService(
    name="system_backups_create",
    path="/api/system/backups/create/",
    description="Start a full or incremental backup",
)
restore = ApiService(
    name="system_backups_restore",
    path="/api/system/backups/restore/",
    description="Replace all data and media with a backup's state",
)
backup = ApiService(
    name="system_backup",
    path=r"/api/system/backups/{backup_id:\d+}/",
    description="One backup: status, progress, verification and restore results",
)
verify = ApiService(
    name="system_backup_verify",
    path=r"/api/system/backups/{backup_id:\d+}/verify/",
    description="Check a backup's checksums and trial-restore it",
)


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def backup_json(record: Backup) -> dict[str, Any]:
    return {
        "id": record.id,
        "type": record.type,
        "origin": record.origin,
        "status": record.status,
        "progress": record.progress,
        "message": record.message,
        "parent_id": record.parent_id,
        "file": os.path.basename(record.path) if record.path else None,
        "size": record.size,
        "checksum": record.checksum,
        "format_version": record.format_version,
        "app_version": record.app_version,
        "alembic_revision": record.alembic_revision,
        "extendable": record.extendable,
        "summary": record.summary or {},
        "error": record.error,
        "created_by_id": record.created_by_id,
        "created_at": _time(record.created_at),
        "started_at": _time(record.started_at),
        "completed_at": _time(record.completed_at),
        "verify": {
            "status": record.verify_status,
            "progress": record.verify_progress,
            "verified_at": _time(record.verified_at),
            "error": record.verify_error,
            "details": record.verify_details or {},
        },
        "restore": {
            "status": record.restore_status,
            "progress": record.restore_progress,
            "restored_at": _time(record.restored_at),
            "error": record.restore_error,
            "details": record.restore_details or {},
        },
    }


def _accepted(request: Request, record: Backup) -> dict[str, Any]:
    request.response.status = 202
    request.response.headers["Location"] = request.route_url("system_backup", backup_id=record.id)
    return backup_json(record)


def _conflict(exc: BackupError) -> APIProblem:
    return APIProblem(409, str(exc))


def _load(request: Request, backup_id: int) -> Backup:
    record = request.dbsession.get(Backup, backup_id)
    if record is None:
        raise APIProblem(404, f"There is no backup {backup_id}.")
    return record


@backups.get(
    permission=MANAGE_SYSTEM,
    schema=BackupListRequest(),
    response_schemas=LIST_RESPONSES,
    tags=TAGS,
)
def list_backups(request: Request) -> dict[str, Any]:
    """Newest first; filters ``type`` and ``status``."""
    query = request.validated["querystring"]
    stmt = service.list_backups(
        request.dbsession, type=query.get("type"), status=query.get("status")
    )
    records, next_cursor = paginate_request(request, stmt, [(Backup.id, "desc")])
    return page_body([backup_json(r) for r in records], next_cursor)


@create.post(
    permission=MANAGE_SYSTEM,
    schema=CreateBackupRequest(),
    response_schemas=ACCEPTED_RESPONSES,
    tags=TAGS,
)
def create_backup(request: Request) -> dict[str, Any]:
    """202 with the pending record; 409 while another backup or restore is busy."""
    kind = request.validated["body"]["type"]
    try:
        record = service.request_backup(
            request.dbsession, kind, created_by=request.identity.user.id
        )
    except BackupError as exc:
        raise _conflict(exc) from exc
    audit(request, "backup.requested", target_type="backup", target_id=record.id, type=kind)
    enqueue(request, "backups.create", record.id)
    return _accepted(request, record)


@backup.get(
    permission=MANAGE_SYSTEM, schema=BackupRequest(), response_schemas=ONE_RESPONSES, tags=TAGS
)
def get_backup(request: Request) -> dict[str, Any]:
    """With an ETag: a client polling progress gets 304 until something changed."""
    return with_etag(request, backup_json(_load(request, request.validated["path"]["backup_id"])))


@verify.post(
    permission=MANAGE_SYSTEM,
    schema=VerifyRequest(),
    response_schemas=ACCEPTED_RESPONSES,
    tags=TAGS,
)
def verify_backup(request: Request) -> dict[str, Any]:
    """202; the result (passed or failed, with details) lands on the record."""
    record = _load(request, request.validated["path"]["backup_id"])
    try:
        service.request_verify(request.dbsession, record)
    except BackupError as exc:
        raise _conflict(exc) from exc
    audit(request, "backup.verify_requested", target_type="backup", target_id=record.id)
    enqueue(request, "backups.verify", record.id)
    return _accepted(request, record)


@restore.post(
    permission=MANAGE_SYSTEM,
    schema=RestoreRequest(),
    response_schemas=ACCEPTED_RESPONSES,
    tags=TAGS,
)
def restore_backup(request: Request) -> dict[str, Any]:
    """202; a worker takes a safety backup, then replaces all data and media."""
    backup_id = request.validated["body"]["backup_id"]
    record = request.dbsession.get(Backup, backup_id)
    if record is None:
        raise APIProblem(
            400,
            "1 field is invalid",
            errors=[{"location": "body", "name": "backup_id", "description": "No such backup"}],
        )
    try:
        service.request_restore(request.dbsession, record)
    except BackupError as exc:
        raise _conflict(exc) from exc
    user_id = request.identity.user.id
    audit(request, "backup.restore_requested", target_type="backup", target_id=record.id)
    enqueue(request, "backups.restore", record.id, user_id)
    return _accepted(request, record)
