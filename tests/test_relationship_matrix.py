"""RBAC matrix of every endpoint that creates a relationship between people.

Each endpoint names a person by id (a student, a teacher or a parent) and attaches them to the
caller or to someone the caller acts for: an enrollment, a teacher of a subject, a material
or an assignment assignee, the subject of a report, a lesson or series participant, a parent
link, a pairing code, a parent-child link removed. A caller must never attach someone they
cannot already see, and must not learn who exists: for every role but admin (who sees
everyone), an unrelated person's id and an id that does not exist get the *same* answer.

The world: tutor T tutors student S (parent P); teacher E teaches S in subject X (an active
enrollment). Another family, unrelated to everyone above: tutor T2, student S2, parent P2,
teacher E2 (who teaches S2 in subject W). Subject Y is taught by E, E2 and T (new
enrollments), subject Z by nobody (teacher assignment). Material M (active, public, in X) is
by E; T teaches X too, so both may assign it.
``MISSING`` is an id no row has.

===========  ======================================================================
target kind  related / unrelated / nonexistent
===========  ======================================================================
student      S / S2 / MISSING (a student caller's related student is themself)
teacher      E / E2 / MISSING
parent       P / P2 / MISSING
===========  ======================================================================
"""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

import pytest

from factories import (
    EnrollmentFactory,
    MaterialFactory,
    ParentLinkFactory,
    SubjectFactory,
    TeacherSubjectFactory,
)

MISSING = 2_000_000_000  # a valid id (below 2**31) that no row has
ROLES = ("admin", "teacher", "tutor", "parent", "student")
CALLER = {"admin": "A", "teacher": "E", "tutor": "T", "parent": "P", "student": "S"}
TARGETS = ("related", "unrelated", "nonexistent")
TARGET_KEYS = {
    "student": ("S", "S2"),
    "teacher": ("E", "E2"),
    "parent": ("P", "P2"),
}

# endpoint -> (target kind, {role: (related, unrelated, nonexistent)})
MATRIX: dict[str, tuple[str, dict[str, tuple[int, int, int]]]] = {
    "POST /api/materials/enrollments/": (
        "student",
        {
            "admin": (201, 201, 400),
            "teacher": (201, 404, 404),
            "tutor": (201, 404, 404),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/materials/subjects/{subject_id}/teachers/": (
        "teacher",
        {
            "admin": (201, 201, 400),
            "teacher": (403, 403, 403),
            "tutor": (403, 403, 403),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/materials/{material_id}/assign/": (
        "student",
        {
            "admin": (200, 200, 400),
            "teacher": (200, 400, 400),
            "tutor": (200, 400, 400),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/assignments/": (
        "student",
        {
            "admin": (201, 201, 400),
            "teacher": (201, 400, 400),
            "tutor": (201, 400, 400),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/reports/": (
        "student",
        {
            "admin": (201, 201, 400),
            "teacher": (201, 400, 400),
            "tutor": (201, 400, 400),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/scheduling/lessons/": (
        "student",
        {
            "admin": (201, 201, 400),
            "teacher": (201, 400, 400),
            "tutor": (201, 403, 403),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/scheduling/series/": (
        "student",
        {
            "admin": (201, 201, 400),
            "teacher": (201, 400, 400),
            "tutor": (201, 403, 403),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/accounts/pairing-codes/": (
        "student",
        {
            "admin": (201, 201, 400),
            "teacher": (403, 403, 403),
            "tutor": (201, 400, 400),
            "parent": (403, 403, 403),
            "student": (201, 400, 400),
        },
    ),
    "POST /api/accounts/users/{user_id}/parents/": (
        "student",  # the student in the path; the parent is P
        {
            "admin": (200, 201, 404),
            "teacher": (403, 404, 404),
            "tutor": (200, 404, 404),
            "parent": (403, 404, 404),
            "student": (403, 404, 404),
        },
    ),
    "POST /api/accounts/users/{user_id}/parents/ parent_id": (
        "parent",  # the student in the path is S
        {
            "admin": (200, 201, 400),
            "teacher": (403, 403, 403),
            "tutor": (200, 400, 400),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/accounts/students/": (
        "parent",  # a new student linked to an existing parent_id
        {
            "admin": (403, 403, 403),
            "teacher": (403, 403, 403),
            "tutor": (201, 400, 400),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/payments/invoices/": (
        "student",  # the student billed (their parents pay)
        {
            "admin": (201, 201, 400),
            "teacher": (403, 403, 403),
            "tutor": (201, 400, 400),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/chat/rooms/": (
        "teacher",  # a direct chat with user_id (a teacher caller's related teacher: self)
        {
            "admin": (201, 201, 400),
            "teacher": (400, 400, 400),
            "tutor": (201, 400, 400),
            "parent": (201, 400, 400),
            "student": (201, 400, 400),
        },
    ),
    "POST /api/chat/rooms/ member_ids": (
        "student",  # a group chat with member_ids
        {
            "admin": (201, 201, 400),
            "teacher": (201, 400, 400),
            "tutor": (201, 400, 400),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/chat/rooms/{id}/members/": (
        "student",  # a group the caller moderates (parents and students: a plain member)
        {
            "admin": (201, 201, 400),
            "teacher": (201, 400, 400),
            "tutor": (201, 400, 400),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/payments/prices/": (
        "teacher",  # the teacher a price is for (admins only)
        {
            "admin": (201, 201, 400),
            "teacher": (403, 403, 403),
            "tutor": (403, 403, 403),
            "parent": (403, 403, 403),
            "student": (403, 403, 403),
        },
    ),
    "POST /api/payments/packages/purchase/": (
        "student",  # the student the credits go to (S2 has no enrollment in X)
        {
            "admin": (201, 400, 400),
            "teacher": (403, 403, 403),
            "tutor": (403, 403, 403),
            "parent": (201, 400, 400),
            "student": (403, 403, 403),
        },
    ),
    "DELETE /api/accounts/children/{user_id}/": (
        "student",  # admins name the parent: ?parent=P
        {
            "admin": (204, 404, 404),
            "teacher": (403, 403, 403),
            "tutor": (403, 403, 403),
            "parent": (204, 404, 404),
            "student": (403, 403, 403),
        },
    ),
}

# Body fields that name a person. A create/update view whose body has one must be in the
# matrix above or here, with the reason and the test that covers it.
PERSON_FIELDS = {
    "student",
    "student_id",
    "student_ids",
    "teacher_id",
    "parent_id",
    "tutor_id",
    "user_id",
    "member_ids",
}
COVERED_ELSEWHERE = {
    # Same rule as POST (``assignees.assignable``), checked before anything is written.
    ("assignment", "PATCH"): "tests/assignments/test_assignments.py",
    # Only a student the assignment already reaches (``_reaches_student``): no new relation.
    ("assignment_extensions", "POST"): "tests/assignments/test_submissions.py",
    # Same body as a booking, creates nothing; same checks (``lessons.check_slot``).
    ("scheduling_check_conflicts", "POST"): "tests/scheduling/test_conflicts.py",
    # The teacher of an existing enrollment: admins and the student's tutor, a teacher of
    # the subject only (one answer for anything else). Reactivating (status -> active)
    # follows the create rule: test_a_teacher_the_student_left_cannot_reactivate_...
    ("materials_enrollment", "PATCH"): "tests/catalog/test_enrollments.py",
    # ``tutor_id`` (the tutor assignment) is admins' only, who see everyone: non-admins get
    # 403 (tests/accounts/test_rbac_matrix.py, PATCH users/{id}/profile/).
    ("accounts_user_profile", "PATCH"): "tests/accounts/test_profiles.py",
    # Nine roles x the student (tests/knowledge/test_knowledge_authoring_rbac.py "graph
    # create"), unknown and unrelated students alike (test_knowledge_graphs.py).
    ("knowledge_graphs", "POST"): "tests/knowledge/test_knowledge_graphs.py",
    # ``parent_id`` is the comment answered, not a person.
    ("materials_comments", "POST"): "tests/materials/test_material_comments.py",
}


def in_days(days: int) -> dt.datetime:
    now = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    return now + dt.timedelta(days=days, hours=1)


@pytest.fixture
def world(make_user, dbsession):
    people: dict[str, Any] = {"A": make_user("admin")}
    for suffix in ("", "2"):
        tutor = make_user("tutor")
        student = make_user("student", profile={"tutor_id": tutor.id})
        parent = make_user("parent")
        ParentLinkFactory(student=student, parent=parent)
        people.update(
            {f"T{suffix}": tutor, f"S{suffix}": student, f"P{suffix}": parent},
            **{f"E{suffix}": make_user("teacher")},
        )
    x, w, y, z = (SubjectFactory() for _ in range(4))
    for key, subject in (("E", x), ("T", x), ("E2", w), ("E", y), ("E2", y), ("T", y)):
        TeacherSubjectFactory(teacher_id=people[key].id, subject_id=subject.id)
    EnrollmentFactory(student_id=people["S"].id, subject_id=x.id, teacher_id=people["E"].id)
    EnrollmentFactory(student_id=people["S2"].id, subject_id=w.id, teacher_id=people["E2"].id)
    material = MaterialFactory(
        author_id=people["E"].id, subject_id=x.id, status="active", is_public=True
    )
    dbsession.flush()
    return SimpleNamespace(people=people, x=x, w=w, y=y, z=z, material=material)


def target_id(world: Any, kind: str, role: str, target: str) -> int:
    if target == "nonexistent":
        return MISSING
    related, unrelated = TARGET_KEYS[kind]
    if kind == "student" and role == "student" and target == "related":
        related = "S"  # the student themself
    return world.people[related if target == "related" else unrelated].id


def booking(world: Any, role: str, student_id: int) -> dict[str, Any]:
    """Teacher and subject of a booking for ``student_id``: the caller when a teacher, else
    the student's teacher (E2 in W for S2, E in X otherwise)."""
    people = world.people
    unrelated = student_id == people["S2"].id
    data: dict[str, Any] = {
        "student_id": student_id,
        "subject_id": (world.w if unrelated else world.x).id,
    }
    if role != "teacher":
        data["teacher_id"] = (people["E2"] if unrelated else people["E"]).id
    return data


def request_for(endpoint: str, world: Any, role: str, tid: int) -> tuple[str, str, Any]:
    """(method, url, json body or None) of one cell."""
    people = world.people
    method, path = endpoint.split(" ")[:2]
    if endpoint == "POST /api/materials/enrollments/":
        body: Any = {"student_id": tid, "subject_id": world.y.id}
        if role == "admin":
            body["teacher_id"] = people["E"].id
        return method, path, body
    if endpoint == "POST /api/materials/subjects/{subject_id}/teachers/":
        return method, path.format(subject_id=world.z.id), {"teacher_id": tid}
    if endpoint == "POST /api/materials/{material_id}/assign/":
        return method, path.format(material_id=world.material.id), {"student_ids": [tid]}
    if endpoint == "POST /api/assignments/":
        body = {
            "title": "Fractions",
            "instructions": "Exercises 1-10.",
            "subject_id": world.x.id,
            "due_at": in_days(10).isoformat(),
            "student_ids": [tid],
        }
        return method, path, body
    if endpoint == "POST /api/reports/":
        body = {"student_id": tid, "period_start": "2026-11-01", "period_end": "2026-11-30"}
        return method, path, body
    if endpoint == "POST /api/scheduling/lessons/":
        start = in_days(2)
        body = {
            **booking(world, role, tid),
            "start": start.isoformat(),
            "end": (start + dt.timedelta(hours=1)).isoformat(),
            "timezone": "Europe/Moscow",
        }
        return method, path, body
    if endpoint == "POST /api/scheduling/series/":
        body = {
            **booking(world, role, tid),
            "start": in_days(3).isoformat(),
            "timezone": "Europe/Moscow",
            "duration_minutes": 60,
            "rrule": "FREQ=WEEKLY;COUNT=2",
        }
        return method, path, body
    if endpoint == "POST /api/accounts/pairing-codes/":
        return method, path, {"student_id": tid}
    if endpoint == "POST /api/accounts/users/{user_id}/parents/":
        return method, path.format(user_id=tid), {"parent_id": people["P"].id}
    if endpoint == "POST /api/accounts/users/{user_id}/parents/ parent_id":
        return method, path.format(user_id=people["S"].id), {"parent_id": tid}
    if endpoint == "POST /api/accounts/students/":
        new = {"first_name": "Kid", "last_name": "New", "email": "kid.new@example.com"}
        return method, path, {"student": new, "parent_id": tid}
    if endpoint == "POST /api/payments/invoices/":
        line = {"description": "Lesson", "quantity": 1, "unit_price": "1000.00"}
        return method, path, {"student_id": tid, "due_date": "2030-01-31", "lines": [line]}
    if endpoint == "POST /api/chat/rooms/":
        return method, path, {"type": "direct", "user_id": tid}
    if endpoint == "POST /api/chat/rooms/ member_ids":
        return method, path, {"type": "group", "name": "Group", "member_ids": [tid]}
    if endpoint == "POST /api/chat/rooms/{id}/members/":
        from factories import ChatMemberFactory

        caller = people[CALLER[role]]
        moderates = role in ("admin", "teacher", "tutor")
        room_id = ChatMemberFactory(
            user_id=caller.id, role="moderator" if moderates else "member"
        ).room_id
        return method, path.format(id=room_id), {"user_id": tid}
    if endpoint == "POST /api/payments/prices/":
        body = {"kind": "package", "title": "Four", "subject_id": world.x.id, "lessons": 4}
        return method, path, {**body, "teacher_id": tid, "price": {"amount": "4000.00"}}
    if endpoint == "POST /api/payments/packages/purchase/":
        from factories import PriceFactory

        return (
            method,
            path,
            {"price_id": PriceFactory(subject_id=world.x.id).id, "student_id": tid},
        )
    if endpoint == "DELETE /api/accounts/children/{user_id}/":
        query = f"?parent={people['P'].id}" if role == "admin" else ""
        return method, path.format(user_id=tid) + query, None
    raise AssertionError(f"no request for {endpoint}")


def cases():
    for endpoint in MATRIX:
        for role in ROLES:
            yield pytest.param(endpoint, role, id=f"{endpoint}-{role}")


def send(testapp: Any, headers: dict[str, str], method: str, url: str, body: Any) -> Any:
    if body is None:
        return testapp.request(url, method=method, headers=headers, expect_errors=True)
    return getattr(testapp, f"{method.lower()}_json")(
        url, body, headers=headers, expect_errors=True
    )


def comparable(res: Any, tid: int) -> tuple[int, str]:
    """Status and body without the per-request id; the id that was sent, echoed back in a
    list error ("Not a student you may assign to: 7"), is a placeholder."""
    body = res.json if res.body else None
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "request_id"}
    return res.status_int, json.dumps(body, sort_keys=True).replace(str(tid), "<id>")


@pytest.mark.parametrize("endpoint, role", list(cases()))
def test_relationship_matrix(testapp, app, auth_headers, world, endpoint, role, monkeypatch):
    monkeypatch.setitem(app.registry.settings, "rate_limit_enabled", False)
    kind, by_role = MATRIX[endpoint]
    headers = auth_headers(world.people[CALLER[role]])
    answers = {}
    for target, expected in zip(TARGETS, by_role[role], strict=True):
        tid = target_id(world, kind, role, target)
        method, url, body = request_for(endpoint, world, role, tid)
        res = send(testapp, headers, method, url, body)
        assert res.status_int == expected, f"{role} {target}: {res.status} {res.text[:300]}"
        if expected >= 400:
            assert res.content_type == "application/problem+json"
        answers[target] = comparable(res, tid)
    if role != "admin":  # admins see everyone: for them an unrelated person is no secret
        assert answers["unrelated"] == answers["nonexistent"], (
            f"{role}: an unrelated id and an unknown id must look the same"
        )


def body_fields(schema: Any) -> set[str]:
    if schema is None:
        return set()
    node = schema() if isinstance(schema, type) else schema
    body = next((child for child in node.children if child.name == "body"), None)
    return {child.name for child in body.children} if body is not None else set()


def test_every_view_naming_a_person_in_its_body_is_in_the_matrix(app):
    """A new endpoint that takes a student_id/teacher_id/parent_id joins the matrix."""
    in_matrix = {tuple(key.split(" ")[:2]) for key in MATRIX}
    missing: list[str] = []
    detected: set[tuple[str, str]] = set()
    exempted: set[tuple[str, str]] = set()
    for service in app.registry.cornice_services.values():
        for method, _view, args in service.definitions:
            if method not in ("POST", "PUT", "PATCH"):
                continue
            if not body_fields(args.get("schema")) & PERSON_FIELDS:
                continue
            detected.add((method, service.path))
            exempted.add((service.name, method))
            if (method, service.path) in in_matrix or (service.name, method) in COVERED_ELSEWHERE:
                continue
            missing.append(f"{method} {service.path} ({service.name})")
    assert missing == []
    # The walk really reads the bodies: it finds the matrix's own endpoints.
    assert {
        ("POST", "/api/materials/enrollments/"),
        ("POST", "/api/scheduling/lessons/"),
        ("POST", "/api/scheduling/series/"),
        ("POST", "/api/reports/"),
        ("POST", "/api/assignments/"),
        ("POST", "/api/accounts/students/"),
    } <= detected
    assert set(COVERED_ELSEWHERE) <= exempted, "a stale exemption"
