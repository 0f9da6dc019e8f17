"""The teacher's pending submissions: the count covers every waiting submission, the items
only the first ``ITEMS_LIMIT`` (one statement computes both), and none waiting is 0."""

from __future__ import annotations

from test_dashboards import fresh_dashboards, get, material, submit, w  # noqa: F401  (fixtures)

from thebot.dashboards.registry import ITEMS_LIMIT


def test_the_count_covers_every_waiting_submission_beyond_the_listed_ones(
    testapp, dbsession, w, make_user, auth_headers
):
    homework = material(dbsession, w.teacher, w.algebra, type="homework")
    waiting = [
        submit(dbsession, homework, make_user("student"), minutes=ITEMS_LIMIT + 5 - i)
        for i in range(ITEMS_LIMIT + 5)
    ]
    submit(dbsession, homework, w.student, status="reviewed")

    pending = get(testapp, "teacher", w.teacher, auth_headers).json["sections"][
        "pending_submissions"
    ]
    assert pending["count"] == ITEMS_LIMIT + 5
    oldest_first = sorted(waiting, key=lambda s: s.submitted_at)[:ITEMS_LIMIT]
    assert [p["id"] for p in pending["items"]] == [s.id for s in oldest_first]


def test_nothing_waiting_counts_zero(testapp, dbsession, w, auth_headers):
    homework = material(dbsession, w.teacher, w.algebra, type="homework")
    submit(dbsession, homework, w.student, status="reviewed")

    pending = get(testapp, "teacher", w.teacher, auth_headers).json["sections"][
        "pending_submissions"
    ]
    assert pending == {"count": 0, "items": []}
