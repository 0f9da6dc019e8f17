"""``Idempotency-Key`` on ``POST /lessons/``: a repeat replays the first answer, another body
with the same key is a 422, failures are not remembered, records last 24 hours."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from types import SimpleNamespace

import pytest
import time_machine
from lessons_support import LESSONS, NOW, at, body, make_world
from sqlalchemy import func, select

from thebot import idempotency
from thebot.notifications.models import Notification
from thebot.scheduling.models import Lesson

pytestmark = pytest.mark.usefixtures("frozen")

SCOPE = "scheduling.lessons"


@pytest.fixture
def world(make_user):
    return make_world(make_user)


@pytest.fixture
def teacher(world, auth_headers):
    return auth_headers(world.teacher)


def key() -> str:
    return str(uuid.uuid4())


def book(testapp, headers, data, idem, status=201):
    return testapp.post_json(
        LESSONS, data, headers={**headers, "Idempotency-Key": idem}, status=status
    )


def count(dbsession, model) -> int:
    return dbsession.scalar(select(func.count()).select_from(model))


def store(app):
    return idempotency.store_for(SimpleNamespace(cache=app.registry["cache_regions"]))


def test_a_repeat_replays_the_first_response(testapp, world, teacher, dbsession):
    idem, data = key(), body(world)
    first = book(testapp, teacher, data, idem)
    notified = count(dbsession, Notification)
    again = book(testapp, teacher, data, idem)
    assert again.status_int == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.content_type == "application/json"
    assert count(dbsession, Lesson) == 1
    assert count(dbsession, Notification) == notified  # nobody is told twice


def test_the_body_is_compared_as_json_not_as_bytes(testapp, world, teacher):
    idem, data = key(), body(world)
    book(testapp, teacher, data, idem)
    reordered = json.dumps(dict(reversed(list(data.items()))), indent=2)
    res = testapp.post(
        LESSONS,
        reordered,
        headers={**teacher, "Idempotency-Key": idem, "Content-Type": "application/json"},
        status=201,
    )
    assert res.headers["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_422(testapp, world, teacher, dbsession):
    idem = key()
    book(testapp, teacher, body(world, at(hours=30)), idem)
    res = book(testapp, teacher, body(world, at(hours=40)), idem, status=422)
    assert res.json["type"].endswith("/unprocessable-content")
    assert "different request" in res.json["detail"]
    assert count(dbsession, Lesson) == 1


def test_different_keys_are_different_bookings(testapp, world, teacher, dbsession):
    book(testapp, teacher, body(world, at(hours=30)), key())
    book(testapp, teacher, body(world, at(hours=40)), key())
    assert count(dbsession, Lesson) == 2


def test_keys_belong_to_their_user(testapp, world, teacher, auth_headers):
    idem = key()
    book(testapp, teacher, body(world, at(hours=30)), idem)
    res = book(testapp, auth_headers(world.tutor), body(world, at(hours=40)), idem)
    assert "Idempotent-Replayed" not in res.headers


def test_without_a_key_repeats_are_separate_requests(testapp, world, teacher):
    testapp.post_json(LESSONS, body(world), headers=teacher, status=201)
    testapp.post_json(LESSONS, body(world), headers=teacher, status=409)


def test_a_failed_request_is_not_remembered(testapp, world, teacher, dbsession):
    blocker = testapp.post_json(LESSONS, body(world, at(hours=30)), headers=teacher).json
    idem, data = key(), body(world, at(hours=30))
    book(testapp, teacher, data, idem, status=409)
    testapp.post(f"{LESSONS}{blocker['id']}/cancel/", headers=teacher)
    res = book(testapp, teacher, data, idem, status=201)  # runs again, now it fits
    assert "Idempotent-Replayed" not in res.headers
    assert count(dbsession, Lesson) == 2


def test_an_invalid_request_is_not_remembered(testapp, world, teacher):
    idem, data = key(), body(world)
    book(testapp, teacher, {**data, "timezone": "Nowhere"}, idem, status=400)
    book(testapp, teacher, data, idem, status=201)


@pytest.mark.parametrize("bad", ["", "x" * 256, "has space", "ключ"])
def test_malformed_keys_are_400(testapp, world, teacher, bad):
    headers = {**teacher, "Idempotency-Key": bad.encode().decode("latin-1")}
    res = testapp.post_json(LESSONS, body(world), headers=headers, status=400)
    assert res.json["errors"][0]["name"] == "Idempotency-Key"


def test_a_request_still_running_with_the_key_is_409(app, testapp, world, teacher):
    idem, data = key(), body(world)
    fake = SimpleNamespace(method="POST", path=LESSONS, body=json.dumps(data).encode())
    name = f"{SCOPE}:{world.teacher.id}:{hashlib.sha256(idem.encode()).hexdigest()}"
    claim = {
        "state": "pending",
        "token": "someone-else",
        "fingerprint": idempotency.fingerprint(fake),
    }
    assert store(app).claim(name, claim, idempotency.CLAIM_TTL) is None
    res = book(testapp, teacher, data, idem, status=409)
    assert res.headers["Retry-After"] == "1"
    assert "still being processed" in res.json["detail"]
    store(app).release(name, "someone-else")
    book(testapp, teacher, data, idem, status=201)


def test_records_last_24_hours(app, testapp, world, teacher, redis_client):
    idem, data = key(), body(world, at(hours=30))
    book(testapp, teacher, data, idem)
    name = f"{SCOPE}:{world.teacher.id}:{hashlib.sha256(idem.encode()).hexdigest()}"
    if redis_client is not None:  # Redis keeps the TTL itself
        prefix = app.registry["cache_regions"]["default"].key_mangler("idempotency:")
        assert 86400 - 60 < redis_client.ttl(prefix + name) <= 86400
        return
    with time_machine.travel(NOW + dt.timedelta(hours=24, seconds=-1), tick=False):
        assert book(testapp, teacher, data, idem).headers["Idempotent-Replayed"] == "true"
    with time_machine.travel(NOW + dt.timedelta(hours=24, seconds=1), tick=False):
        assert store(app).claim(name, {"token": "probe"}, 1) is None  # forgotten


def test_the_store_claims_atomically_and_releases_only_its_own_claim(app):
    s, name = store(app), f"test:{key()}"
    assert s.claim(name, {"token": "a", "state": "pending"}, 60) is None
    assert s.claim(name, {"token": "b", "state": "pending"}, 60)["token"] == "a"
    s.release(name, "b")  # not b's: kept
    assert s.claim(name, {"token": "c"}, 60)["token"] == "a"
    s.release(name, "a")
    assert s.claim(name, {"token": "c"}, 60) is None
    s.finish(name, {"token": "c", "state": "done"}, 60)
    assert s.claim(name, {"token": "d"}, 60)["state"] == "done"
