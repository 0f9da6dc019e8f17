"""``/api/system/backups/``: admin only, 202 + the actors, problem+json for bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from thebot.audit import AuditEvent
from thebot.backups.models import Backup

LIST = "/api/system/backups/"
CREATE = "/api/system/backups/create/"
RESTORE = "/api/system/backups/restore/"


def one(backup_id: int) -> str:
    return f"/api/system/backups/{backup_id}/"


def verify_url(backup_id: int) -> str:
    return f"/api/system/backups/{backup_id}/verify/"


@pytest.fixture
def admin(make_user, auth_headers):
    return auth_headers(make_user("admin"))


def run_actors(broker, worker) -> None:
    broker.join("backups", fail_fast=True)
    worker.join()


def actions(dbsession) -> list[str]:
    return list(dbsession.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


ENDPOINTS = [
    ("get", LIST, None),
    ("post", CREATE, {"type": "full"}),
    ("get", one(1), None),
    ("post", verify_url(1), {}),
    ("post", RESTORE, {"backup_id": 1, "confirm": True}),
]


@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_anonymous_callers_get_401(testapp, method, url, body):
    if method == "get":
        response = testapp.get(url, status=401)
    else:
        response = testapp.post_json(url, body, status=401)
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("role", ["student", "teacher", "tutor", "parent"])
@pytest.mark.parametrize(("method", "url", "body"), ENDPOINTS)
def test_other_roles_get_403(testapp, make_user, auth_headers, role, method, url, body):
    headers = auth_headers(make_user(role))
    if method == "get":
        testapp.get(url, headers=headers, status=403)
    else:
        testapp.post_json(url, body, headers=headers, status=403)


def test_the_monitoring_token_cannot_reach_backups(testapp, monitor_headers):
    testapp.get(LIST, headers=monitor_headers, status=403)
    testapp.post_json(CREATE, {"type": "full"}, headers=monitor_headers, status=403)


def test_create_answers_202_and_the_actor_completes_the_backup(
    testapp, admin, broker, worker, dbsession
):
    response = testapp.post_json(CREATE, {"type": "full"}, headers=admin, status=202)
    record = response.json
    assert record["status"] == "pending" and record["progress"] == 0
    assert response.headers["Location"].endswith(one(record["id"]))
    run_actors(broker, worker)
    done = testapp.get(one(record["id"]), headers=admin).json
    assert done["status"] == "completed", done["error"]
    assert done["progress"] == 100 and done["started_at"] and done["completed_at"]
    assert len(done["checksum"]) == 64 and done["file"].endswith(".tar") and done["size"] > 0
    assert done["summary"]["tables"] > 20 and done["format_version"] == 1
    assert actions(dbsession)[-2:] == ["backup.requested", "backup.created"]
    listed = testapp.get(LIST, headers=admin).json["items"]
    assert [item["id"] for item in listed] == [record["id"]]


def test_verify_answers_202_and_stores_the_result(testapp, admin, broker, worker, dbsession):
    backup_id = testapp.post_json(CREATE, {"type": "full"}, headers=admin).json["id"]
    run_actors(broker, worker)
    response = testapp.post_json(verify_url(backup_id), {}, headers=admin, status=202)
    assert response.json["verify"]["status"] == "pending"
    run_actors(broker, worker)
    verify = testapp.get(one(backup_id), headers=admin).json["verify"]
    assert verify["status"] == "passed", verify["error"]
    assert verify["verified_at"] and verify["details"]["trial_restore"]["dialect"] == "sqlite"
    assert "backup.verified" in actions(dbsession)


def test_incremental_needs_a_full_backup_first(testapp, admin):
    body = testapp.post_json(CREATE, {"type": "incremental"}, headers=admin, status=409).json
    assert "full backup first" in body["detail"]


def test_incremental_after_a_full_backup(testapp, admin, broker, worker):
    full = testapp.post_json(CREATE, {"type": "full"}, headers=admin).json["id"]
    run_actors(broker, worker)
    response = testapp.post_json(CREATE, {"type": "incremental"}, headers=admin, status=202)
    assert response.json["parent_id"] == full
    run_actors(broker, worker)
    assert testapp.get(one(response.json["id"]), headers=admin).json["status"] == "completed"


def test_a_second_backup_waits_for_the_first(testapp, admin):
    testapp.post_json(CREATE, {"type": "full"}, headers=admin, status=202)
    body = testapp.post_json(CREATE, {"type": "full"}, headers=admin, status=409).json
    assert body["type"].endswith("/conflict")


def test_verify_and_restore_refuse_a_backup_that_is_not_completed(testapp, admin):
    backup_id = testapp.post_json(CREATE, {"type": "full"}, headers=admin).json["id"]
    testapp.post_json(verify_url(backup_id), {}, headers=admin, status=409)
    testapp.post_json(
        RESTORE, {"backup_id": backup_id, "confirm": True}, headers=admin, status=409
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"type": "weekly"},
        {"type": "full", "extra": 1},
        {"type": 5},
    ],
)
def test_create_rejects_bad_bodies(testapp, admin, body):
    problem = testapp.post_json(CREATE, body, headers=admin, status=400).json
    assert problem["type"].endswith("/validation-error") and problem["errors"]


def test_create_rejects_a_body_that_is_not_json(testapp, admin):
    testapp.post(CREATE, "type=full", headers={**admin, "Content-Type": "text/plain"}, status=400)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"backup_id": 1}, "confirm"),
        ({"backup_id": 1, "confirm": False}, "confirm"),
        ({"backup_id": 1, "confirm": "yes"}, "confirm"),
        ({"backup_id": "1", "confirm": True}, "backup_id"),
        ({"backup_id": 1.5, "confirm": True}, "backup_id"),
        ({"backup_id": 0, "confirm": True}, "backup_id"),
        ({"backup_id": 10**12, "confirm": True}, "backup_id"),
        ({"backup_id": 999999, "confirm": True}, "backup_id"),
        ({"backup_id": 1, "confirm": True, "force": True}, "force"),
    ],
)
def test_restore_rejects_bad_bodies(testapp, admin, body, field):
    problem = testapp.post_json(RESTORE, body, headers=admin, status=400).json
    assert any(field in e["name"] or field in e["description"] for e in problem["errors"])


def test_unknown_backups_are_404(testapp, admin):
    testapp.get(one(424242), headers=admin, status=404)
    testapp.post_json(verify_url(424242), {}, headers=admin, status=404)
    testapp.get("/api/system/backups/abc/", headers=admin, status=404)
    testapp.get(one(10**12), headers=admin, status=400)


def test_list_is_paginated_and_filtered(testapp, admin, dbsession):
    for kind, status in [("full", "completed"), ("full", "failed"), ("incremental", "failed")]:
        dbsession.add(Backup(uuid=f"{len(kind)}{status}".ljust(32, "0"), type=kind, status=status))
    dbsession.flush()
    page = testapp.get(LIST, {"limit": 2}, headers=admin)
    assert len(page.json["items"]) == 2 and page.json["next_cursor"]
    assert 'rel="next"' in page.headers["Link"]
    failed = testapp.get(LIST, {"status": "failed"}, headers=admin).json["items"]
    assert {item["status"] for item in failed} == {"failed"} and len(failed) == 2
    fulls = testapp.get(LIST, {"type": "full"}, headers=admin).json["items"]
    assert {item["type"] for item in fulls} == {"full"}
    testapp.get(LIST, {"status": "lost"}, headers=admin, status=400)
    testapp.get(LIST, {"colour": "red"}, headers=admin, status=400)


def test_restore_request_is_audited_and_enqueued(testapp, admin, broker, dbsession):
    record = Backup(uuid="f" * 32, type="full", status="completed", path="/nonexistent.tar")
    dbsession.add(record)
    dbsession.flush()
    response = testapp.post_json(
        RESTORE, {"backup_id": record.id, "confirm": True}, headers=admin, status=202
    )
    assert response.json["restore"]["status"] == "pending"
    assert actions(dbsession)[-1] == "backup.restore_requested"
    assert broker.queues["backups"].qsize() == 1


def test_the_record_is_running_while_the_actor_dumps(
    app, testapp, admin, broker, worker, monkeypatch
):
    from thebot.backups import operations

    seen = []
    real = operations.write_backup

    def spy(conn, **kwargs):
        with app.registry["dbsession_factory"]() as session:
            record = session.execute(select(Backup).order_by(Backup.id.desc())).scalars().first()
            seen.append((record.status, record.message, record.started_at is not None))
        return real(conn, **kwargs)

    monkeypatch.setattr(operations, "write_backup", spy)
    backup_id = testapp.post_json(CREATE, {"type": "full"}, headers=admin).json["id"]
    run_actors(broker, worker)
    assert seen == [("running", "starting", True)]
    assert testapp.get(one(backup_id), headers=admin).json["status"] == "completed"


def test_a_failing_backup_is_marked_failed_with_the_reason(
    testapp, admin, broker, worker, monkeypatch, dbsession
):
    from thebot.backups import operations

    def broken(conn, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(operations, "write_backup", broken)
    backup_id = testapp.post_json(CREATE, {"type": "full"}, headers=admin).json["id"]
    run_actors(broker, worker)
    record = testapp.get(one(backup_id), headers=admin).json
    assert record["status"] == "failed" and "No space left" in record["error"]
    assert actions(dbsession)[-1] == "backup.failed"


def test_polling_one_backup_gets_304_until_it_changes(testapp, admin, broker):
    import dramatiq

    backup_id = testapp.post_json(CREATE, {"type": "full"}, headers=admin).json["id"]
    first = testapp.get(one(backup_id), headers=admin)
    testapp.get(one(backup_id), headers={**admin, "If-None-Match": first.etag}, status=304)
    # The worker starts only now: it shares the test's connection with the requests above.
    worker = dramatiq.Worker(broker, worker_timeout=100)
    worker.start()
    try:
        run_actors(broker, worker)
    finally:
        worker.stop()
    testapp.get(one(backup_id), headers={**admin, "If-None-Match": first.etag}, status=200)


def test_list_runs_a_constant_number_of_queries(testapp, admin, dbsession, queries_for_1_and_30):
    made = []

    def add(n):
        for _ in range(n):
            k = len(made)
            made.append(
                Backup(uuid=f"{k:032x}", type="full", status="completed", path=f"/b/{k}.tar")
            )
            dbsession.add(made[-1])
        dbsession.flush()

    queries_for_1_and_30(add, lambda: testapp.get(LIST, headers=admin).json["items"])
