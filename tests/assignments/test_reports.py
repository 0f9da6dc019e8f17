"""Progress reports through the API: create, read, edit, the state machine, lists."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from factories import ParentLinkFactory, StudentReportFactory, SubjectFactory
from thebot.assignments.models import StudentReport
from thebot.scheduling.models import Lesson

UTC = dt.timezone.utc
URL = "/api/reports/"
PERIOD = {"period_start": "2026-03-02", "period_end": "2026-03-08"}


@pytest.fixture
def world(make_user, auth_headers):
    """A tutor with a student (who has a parent), an unrelated teacher, a second student."""
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id})
    parent = make_user("parent")
    ParentLinkFactory(student=student, parent=parent)
    other_student = make_user("student")
    teacher = make_user("teacher")
    admin = make_user("admin")
    users = SimpleNamespace(
        tutor=tutor,
        student=student,
        parent=parent,
        other_student=other_student,
        teacher=teacher,
        admin=admin,
    )
    users.h = {name: auth_headers(u) for name, u in vars(users).items()}
    return users


def create(testapp, world, expect=201, who="tutor", **body):
    payload = {"student_id": world.student.id, **PERIOD, "summary": "Good week.", **body}
    return testapp.post_json(URL, payload, headers=world.h[who], status=expect)


def report_url(report_id, action=""):
    return f"{URL}{report_id}/" + (f"{action}/" if action else "")


def lesson(dbsession, student, teacher, start, status="completed"):
    subject = SubjectFactory()
    row = Lesson(
        teacher_id=teacher.id,
        student_id=student.id,
        subject_id=subject.id,
        start_at=start,
        end_at=start + dt.timedelta(hours=1),
        status=status,
    )
    dbsession.add(row)
    dbsession.flush()
    return row


# --- create -------------------------------------------------------------------------------


def test_tutor_creates_a_draft_with_computed_figures(testapp, world, dbsession):
    lesson(dbsession, world.student, world.tutor, dt.datetime(2026, 3, 3, 10, tzinfo=UTC))
    res = create(testapp, world, type="behaviour", show_to_parent=False)
    body = res.json
    assert res.headers["Location"].endswith(report_url(body["id"]))
    assert res.headers["ETag"]
    assert body["status"] == "draft"
    assert body["type"] == "behaviour"
    assert body["student"]["id"] == world.student.id
    assert body["author"]["id"] == world.tutor.id
    assert (body["period_start"], body["period_end"]) == ("2026-03-02", "2026-03-08")
    assert body["show_to_parent"] is False
    assert body["is_weekly_draft"] is False
    assert body["sent_at"] is None and body["read_at"] is None and body["read_by"] is None
    figures = body["figures"]
    assert figures["lessons_held"] == 1
    assert figures["average_score_percent"] is None
    assert set(figures) >= {
        "lessons_held",
        "lessons_cancelled",
        "assignments_submitted",
        "assignments_late",
        "assignments_graded",
        "average_score_percent",
        "materials_completed",
        "computed_at",
    }


def test_defaults_type_progress_and_shown_to_parents(testapp, world):
    body = testapp.post_json(
        URL, {"student_id": world.student.id, **PERIOD}, headers=world.h["tutor"], status=201
    ).json
    assert (body["type"], body["show_to_parent"], body["summary"]) == ("progress", True, "")


def test_figures_from_the_client_are_rejected(testapp, world):
    res = create(testapp, world, expect=400, figures={"lessons_held": 99})
    assert res.content_type == "application/problem+json"
    assert any(e["name"] == "figures" or "figures" in e["description"] for e in res.json["errors"])


def test_teacher_of_the_student_may_create_but_not_a_stranger(testapp, world):
    res = create(testapp, world, expect=400, who="teacher")
    assert res.json["errors"][0]["name"] == "student_id"
    unknown = create(testapp, world, expect=400, student_id=999_999_999)
    assert unknown.json["detail"] == res.json["detail"]  # no existence oracle


def test_the_student_is_named_student_id_and_the_old_name_is_rejected(testapp, world):
    """References in request bodies are ``<name>_id`` (as lessons and enrollments take);
    the old ``student`` is an unknown field, never silently taken for ``student_id``."""
    payload = {"student": world.student.id, **PERIOD}
    res = testapp.post_json(URL, payload, headers=world.h["tutor"], status=400)
    assert res.content_type == "application/problem+json"
    [error] = res.json["errors"]
    assert error["location"] == "body" and "Unrecognized keys" in error["description"]
    assert "'student'" in error["description"]
    both = {"student": world.student.id, "student_id": world.student.id, **PERIOD}
    testapp.post_json(URL, both, headers=world.h["tutor"], status=400)


def test_admin_reports_on_any_student(testapp, world):
    body = create(testapp, world, who="admin", student_id=world.other_student.id).json
    assert body["author"]["id"] == world.admin.id


def test_a_non_student_cannot_be_reported_on(testapp, world):
    create(testapp, world, expect=400, who="admin", student_id=world.parent.id)


@pytest.mark.parametrize("who", ["student", "parent"])
def test_students_and_parents_cannot_create(testapp, world, who):
    create(testapp, world, expect=403, who=who)


def test_anonymous_gets_401(testapp, world):
    res = testapp.post_json(URL, {"student_id": world.student.id, **PERIOD}, status=401)
    assert res.headers["WWW-Authenticate"] == "Token"
    testapp.get(URL, status=401)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"period_start": "2026-13-01"}, "period_start"),
        ({"period_start": "2026-03-02T10:00:00Z"}, "period_start"),
        ({"period_start": "0001-01-01"}, "period_start"),
        ({"period_end": "9999-12-31"}, "period_end"),
        ({"period_end": "2026-03-01"}, "period_end"),
        ({"period_start": "2025-01-01", "period_end": "2026-03-08"}, "period_end"),
        ({"type": "gossip"}, "type"),
        ({"show_to_parent": "yes"}, "show_to_parent"),
        ({"show_to_parent": None}, "show_to_parent"),
        ({"summary": 5}, "summary"),
        ({"summary": "x" * 20001}, "summary"),
        ({"student_id": "abc"}, "student_id"),
        ({"student_id": 1.5}, "student_id"),
        ({"student_id": -3}, "student_id"),
        ({"status": "sent"}, "status"),
        ({"is_weekly_draft": True}, "is_weekly_draft"),
    ],
)
def test_bad_input_is_a_400_problem(testapp, world, change, field):
    res = create(testapp, world, expect=400, **change)
    assert res.content_type == "application/problem+json"
    assert res.json["type"].endswith("/validation-error")
    assert any(
        e["name"].endswith(field) or field in e["description"] for e in res.json["errors"]
    ), res.json


def test_missing_fields_and_malformed_json_are_400(testapp, world):
    res = testapp.post_json(
        URL, {"student_id": world.student.id}, headers=world.h["tutor"], status=400
    )
    assert {e["name"] for e in res.json["errors"]} >= {"period_start", "period_end"}
    testapp.post(
        URL,
        "{not json",
        headers={**world.h["tutor"], "Content-Type": "application/json"},
        status=400,
    )
    testapp.post(
        URL, "student=1", headers={**world.h["tutor"], "Content-Type": "text/plain"}, status=400
    )


# --- read and edit ------------------------------------------------------------------------


def test_get_has_an_etag_and_304(testapp, world):
    report_id = create(testapp, world).json["id"]
    res = testapp.get(report_url(report_id), headers=world.h["tutor"])
    etag = res.headers["ETag"]
    testapp.get(
        report_url(report_id), headers={**world.h["tutor"], "If-None-Match": etag}, status=304
    )


def test_unknown_or_malformed_ids_are_404(testapp, world):
    for path in (report_url(999_999_999), report_url("abc"), report_url("-1")):
        res = testapp.get(path, headers=world.h["tutor"], status=404)
        assert res.content_type == "application/problem+json"


def test_patch_edits_a_draft_with_if_match(testapp, world):
    created = create(testapp, world)
    report_id, etag = created.json["id"], created.headers["ETag"]
    res = testapp.patch_json(
        report_url(report_id),
        {"summary": "Better than expected.", "type": "achievement", "show_to_parent": False},
        headers={**world.h["tutor"], "If-Match": etag},
    )
    assert res.json["summary"] == "Better than expected."
    assert (res.json["type"], res.json["show_to_parent"]) == ("achievement", False)
    # The first ETag is stale now.
    stale = testapp.patch_json(
        report_url(report_id),
        {"summary": "Overwrite"},
        headers={**world.h["tutor"], "If-Match": etag},
        status=412,
    )
    assert stale.content_type == "application/problem+json"


def test_patch_rejects_unknown_fields_and_bad_periods(testapp, world):
    report_id = create(testapp, world).json["id"]
    h = world.h["tutor"]
    testapp.patch_json(report_url(report_id), {"figures": {}}, headers=h, status=400)
    testapp.patch_json(
        report_url(report_id), {"student_id": world.other_student.id}, headers=h, status=400
    )
    res = testapp.patch_json(
        report_url(report_id), {"period_end": "2026-03-01"}, headers=h, status=400
    )
    assert res.json["errors"][0]["name"] == "period_end"


def test_new_period_recomputes_figures(testapp, world, dbsession):
    lesson(dbsession, world.student, world.tutor, dt.datetime(2026, 3, 12, 9, tzinfo=UTC))
    report_id = create(testapp, world).json["id"]
    body = testapp.patch_json(
        report_url(report_id),
        {"period_start": "2026-03-09", "period_end": "2026-03-15"},
        headers=world.h["tutor"],
    ).json
    assert body["figures"]["lessons_held"] == 1


def test_refresh_figures_sees_new_data(testapp, world, dbsession):
    report_id = create(testapp, world).json["id"]
    lesson(
        dbsession, world.student, world.tutor, dt.datetime(2026, 3, 4, 9, tzinfo=UTC), "cancelled"
    )
    body = testapp.post_json(
        report_url(report_id, "refresh-figures"), {}, headers=world.h["tutor"]
    ).json
    assert body["figures"]["lessons_cancelled"] == 1


def test_only_author_or_admin_edits(testapp, world, dbsession):
    report_id = create(testapp, world).json["id"]
    testapp.patch_json(report_url(report_id), {"summary": "x"}, headers=world.h["admin"])
    # The draft is invisible to everyone else: 404 rather than 403.
    for who in ("teacher", "student", "parent", "other_student"):
        testapp.patch_json(
            report_url(report_id), {"summary": "x"}, headers=world.h[who], status=404
        )


def test_weekly_draft_keeps_its_week(testapp, world, dbsession):
    report = StudentReportFactory(
        student_id=world.student.id, author_id=world.tutor.id, is_weekly_draft=True
    )
    h = world.h["tutor"]
    testapp.patch_json(report_url(report.id), {"period_end": "2026-03-09"}, headers=h, status=409)
    testapp.patch_json(report_url(report.id), {"summary": "Reviewed."}, headers=h)


# --- state machine ------------------------------------------------------------------------


def test_send_acknowledge_archive(testapp, world, dbsession):
    report_id = create(testapp, world).json["id"]
    sent = testapp.post_json(report_url(report_id, "send"), {}, headers=world.h["tutor"]).json
    assert sent["status"] == "sent" and sent["sent_at"]
    read = testapp.post(report_url(report_id, "acknowledge"), headers=world.h["parent"]).json
    assert read["status"] == "read"
    assert read["read_by"]["id"] == world.parent.id
    assert read["read_at"]
    archived = testapp.post_json(
        report_url(report_id, "archive"), {}, headers=world.h["tutor"]
    ).json
    assert archived["status"] == "archived"
    row = dbsession.get(StudentReport, report_id)
    dbsession.refresh(row)
    assert (row.status, row.read_by_id) == ("archived", world.parent.id)


@pytest.mark.parametrize(
    "steps, action, who",
    [
        (["send"], "send", "tutor"),
        (["send"], "refresh-figures", "tutor"),
        (["send", "acknowledge"], "acknowledge", "parent"),
        (["send", "acknowledge"], "send", "tutor"),
        (["archive"], "send", "tutor"),
        (["archive"], "archive", "tutor"),
        (["archive"], "refresh-figures", "tutor"),
        (["send", "archive"], "acknowledge", "parent"),
    ],
)
def test_illegal_transitions_are_409(testapp, world, steps, action, who):
    report_id = create(testapp, world).json["id"]
    actors = {"send": "tutor", "acknowledge": "parent", "archive": "tutor"}
    for step in steps:
        testapp.post_json(report_url(report_id, step), {}, headers=world.h[actors[step]])
    res = testapp.post_json(report_url(report_id, action), {}, headers=world.h[who], status=409)
    assert res.content_type == "application/problem+json"
    assert res.json["type"].endswith("/conflict")
    assert res.json["report_status"] in ("sent", "read", "archived")


def test_sent_report_cannot_be_edited(testapp, world):
    report_id = create(testapp, world).json["id"]
    testapp.post_json(report_url(report_id, "send"), {}, headers=world.h["tutor"])
    res = testapp.patch_json(
        report_url(report_id), {"summary": "late edit"}, headers=world.h["tutor"], status=409
    )
    assert res.json["report_status"] == "sent"


def test_only_a_parent_acknowledges(testapp, world):
    report_id = create(testapp, world).json["id"]
    testapp.post_json(report_url(report_id, "send"), {}, headers=world.h["tutor"])
    for who in ("tutor", "admin", "student"):
        testapp.post_json(
            report_url(report_id, "acknowledge"), {}, headers=world.h[who], status=403
        )
    for who in ("student", "parent"):
        testapp.post_json(report_url(report_id, "send"), {}, headers=world.h[who], status=403)
        testapp.post_json(report_url(report_id, "archive"), {}, headers=world.h[who], status=403)


def test_action_bodies_must_be_empty(testapp, world):
    report_id = create(testapp, world).json["id"]
    testapp.post_json(
        report_url(report_id, "send"), {"force": True}, headers=world.h["tutor"], status=400
    )
    testapp.post_json(
        report_url(report_id, "send") + "?now=1", {}, headers=world.h["tutor"], status=400
    )


def test_send_with_a_stale_if_match_is_412(testapp, world):
    created = create(testapp, world)
    report_id, etag = created.json["id"], created.headers["ETag"]
    testapp.patch_json(report_url(report_id), {"summary": "Changed"}, headers=world.h["tutor"])
    testapp.post_json(
        report_url(report_id, "send"),
        {},
        headers={**world.h["tutor"], "If-Match": etag},
        status=412,
    )
    assert testapp.get(report_url(report_id), headers=world.h["tutor"]).json["status"] == "draft"


# --- lists --------------------------------------------------------------------------------


def test_list_filters_and_paginates(testapp, world, dbsession):
    ids = [create(testapp, world).json["id"] for _ in range(3)]
    other = create(testapp, world, who="admin", student_id=world.other_student.id).json["id"]
    testapp.post_json(report_url(ids[0], "send"), {}, headers=world.h["tutor"])
    testapp.patch_json(report_url(ids[1]), {"type": "attendance"}, headers=world.h["tutor"])
    h = world.h["tutor"]
    listed = testapp.get(URL, headers=h).json
    assert [r["id"] for r in listed["items"]] == sorted(ids, reverse=True)  # not the admin's
    assert [r["id"] for r in testapp.get(URL, {"status": "sent"}, headers=h).json["items"]] == [
        ids[0]
    ]
    assert [
        r["id"] for r in testapp.get(URL, {"type": "attendance"}, headers=h).json["items"]
    ] == [ids[1]]
    admin_h = world.h["admin"]
    by_student = testapp.get(URL, {"student": world.other_student.id}, headers=admin_h).json
    assert [r["id"] for r in by_student["items"]] == [other]
    first = testapp.get(URL, {"limit": 2}, headers=h)
    assert len(first.json["items"]) == 2 and first.json["next_cursor"]
    assert 'rel="next"' in first.headers["Link"]
    second = testapp.get(URL, {"limit": 2, "cursor": first.json["next_cursor"]}, headers=h).json
    assert [r["id"] for r in second["items"]] == [min(ids)]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "query",
    [
        {"status": "lost"},
        {"type": "gossip"},
        {"student": "x"},
        {"limit": 0},
        {"limit": 201},
        {"cursor": "!!!"},
        {"colour": "red"},
    ],
)
def test_bad_list_queries_are_400(testapp, world, query):
    res = testapp.get(URL, query, headers=world.h["tutor"], status=400)
    assert res.content_type == "application/problem+json"


def test_list_runs_a_constant_number_of_queries(testapp, world, dbsession, count_queries):
    def seed(n):
        for _ in range(n):
            report = StudentReportFactory(
                student_id=world.student.id, author_id=world.tutor.id, status="read"
            )
            report.sent_at = report.read_at = dt.datetime(2026, 3, 9, tzinfo=UTC)
            report.read_by_id = world.parent.id
        dbsession.flush()

    def measure(who):
        with count_queries() as counter:
            items = testapp.get(URL, headers=world.h[who]).json["items"]
        return counter.count, len(items)

    seed(1)
    small = {who: measure(who) for who in ("tutor", "parent", "student", "admin")}
    seed(29)
    large = {who: measure(who) for who in ("tutor", "parent", "student", "admin")}
    for who in small:
        assert small[who][1] == 1 and large[who][1] == 30
        assert small[who][0] == large[who][0], who


def test_reports_of_the_api_are_in_the_database(testapp, world, dbsession):
    report_id = create(testapp, world).json["id"]
    rows = dbsession.execute(select(StudentReport).where(StudentReport.id == report_id)).scalars()
    [row] = list(rows)
    assert (row.author_id, row.student_id, row.status) == (
        world.tutor.id,
        world.student.id,
        "draft",
    )
    assert row.figures["lessons_held"] == 0
