"""Small helpers shared by the backup tests (sites come from conftest.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from backup_seed import database_state, media_state

from thebot.accounts.credentials.tokens import issue_token
from thebot.accounts.models import User
from thebot.backups.operations import create_backup
from thebot.backups.service import catalog, request_backup


def take(site: Any, kind: str) -> Any:
    """Run a backup to completion in this process."""
    with catalog(site.registry) as session:
        backup_id = request_backup(session, kind).id
    record = create_backup(site.request, backup_id)
    assert record.status == "completed", record.error
    return record


def snapshot(site: Any, skip_actions: tuple[str, ...] = ()) -> tuple[dict, dict]:
    """Every table and file of a site; audit events of ``skip_actions`` left out."""
    tables = database_state(site.engine)
    tables["audit_event"] = [row for row in tables["audit_event"] if row[3] not in skip_actions]
    return tables, media_state(site.media)


def admin_headers(site: Any, username: str = "root") -> dict[str, str]:
    with site.session() as session, session.begin():
        user = User(
            username=username,
            email=f"{username}@example.com",
            role="admin",
            is_staff=True,
            first_name="",
            last_name="",
        )
        session.add(user)
        session.flush()
        key, _token = issue_token(session, user, dt.timedelta(days=1))
    return {"Authorization": f"Token {key}"}
