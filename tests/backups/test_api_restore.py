"""Restore through the API, on an installation with its own database (a restore replaces it)."""

from __future__ import annotations

import dramatiq
import pytest
from backup_helpers import admin_headers, snapshot
from backup_seed import change_everything, seed_every_model

from conftest import flip_byte
from thebot.dashboards.cache import GEN_ALL

CREATE = "/api/system/backups/create/"
RESTORE = "/api/system/backups/restore/"


def one(backup_id: int) -> str:
    return f"/api/system/backups/{backup_id}/"


@pytest.fixture
def site(sites):
    site = sites("api")
    with site.session() as session, session.begin():
        site.ids = seed_every_model(session, site.media)
    site.headers = admin_headers(site)
    site.http = site.client()
    return site


def drain(site) -> None:
    """Run the queued backup actors to the end with a worker of the site's broker."""
    broker = site.registry["task_broker"]
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        broker.join("backups", fail_fast=True)
        worker.join()
    finally:
        worker.stop()


def test_restore_through_the_api_brings_back_the_backed_up_state(site):
    created = site.http.post_json(CREATE, {"type": "full"}, headers=site.headers, status=202)
    expected = snapshot(site)  # committed with the request; the actor has not run yet
    drain(site)
    backup = site.http.get(one(created.json["id"]), headers=site.headers).json
    assert backup["status"] == "completed", backup["error"]
    with site.session() as session, session.begin():
        change_everything(session, site.media, site.ids, 1)
    assert snapshot(site) != expected
    response = site.http.post_json(
        RESTORE, {"backup_id": backup["id"], "confirm": True}, headers=site.headers, status=202
    )
    assert response.json["restore"]["status"] == "pending"
    dashboards = site.registry["cache_regions"]["dashboard"]
    dashboards.set(GEN_ALL, "before the restore")
    drain(site)
    assert dashboards.get(GEN_ALL) != "before the restore"  # every cached dashboard is stale
    restored = site.http.get(one(backup["id"]), headers=site.headers).json
    assert restored["restore"]["status"] == "completed", restored["restore"]["error"]
    assert restored["restore"]["progress"] == 100 and restored["restore"]["restored_at"]
    assert restored["extendable"] is False
    assert snapshot(site, skip_actions=("backup.restored",)) == expected
    safety_id = restored["restore"]["details"]["safety_backup_id"]
    safety = site.http.get(one(safety_id), headers=site.headers).json
    assert safety["origin"] == "safety" and safety["status"] == "completed"
    # A restore starts a new chain: an incremental now needs a new full backup.
    site.http.post_json(CREATE, {"type": "incremental"}, headers=site.headers, status=409)


def test_a_corrupted_archive_fails_verify_and_restore_through_the_api(site):
    backup_id = site.http.post_json(CREATE, {"type": "full"}, headers=site.headers).json["id"]
    drain(site)
    backup = site.http.get(one(backup_id), headers=site.headers).json
    with site.session() as session, session.begin():
        change_everything(session, site.media, site.ids, 1)
    before = snapshot(site)
    flip_byte(site.backups / backup["file"], "tables/")
    site.http.post_json(f"/api/system/backups/{backup_id}/verify/", {}, headers=site.headers)
    drain(site)
    verify = site.http.get(one(backup_id), headers=site.headers).json["verify"]
    assert verify["status"] == "failed" and "checksum" in verify["error"]
    site.http.post_json(RESTORE, {"backup_id": backup_id, "confirm": True}, headers=site.headers)
    drain(site)
    restore = site.http.get(one(backup_id), headers=site.headers).json["restore"]
    assert restore["status"] == "failed" and "checksum" in restore["error"]
    assert restore["details"]["safety_backup_id"] is None  # refused before any work
    requests = (
        "backup.verify_requested",
        "backup.verified",
        "backup.restore_requested",
        "backup.restore_failed",
    )
    assert snapshot(site, skip_actions=requests) == before
