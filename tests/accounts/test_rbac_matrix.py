"""RBAC matrix: each role x each accounts endpoint x own/related/unrelated object.

The world: tutor T teaches student S (tutor assignment) and teacher E teaches S too (through
a registered teaching relation, as enrollments will); P is S's parent. T2, S2, P2 and E2 are
another family nobody above is related to. Callers and their objects:

============  ======  =========================  ==========
caller        own     related                    unrelated
============  ======  =========================  ==========
admin         self    S                          S2
teacher E     self    S (taught)                 S2
tutor T       self    S (own student)            S2
parent P      self    S (own child)              S2
student S     self    T (own tutor)              S2
anonymous     S       S                          S2
============  ======  =========================  ==========

Collection endpoints have no object: one status per role. ``POST pairing-codes/`` names
its object in the body (``student_id``).
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import literal, select

from factories import ParentLinkFactory
from thebot.accounts import visibility
from thebot.accounts.auth.ratelimit import reset_limits
from thebot.accounts.models import User

ROLES = ("admin", "teacher", "tutor", "parent", "student", "anonymous")
CALLER = {"admin": "A", "teacher": "E", "tutor": "T", "parent": "P", "student": "S"}
RELATED = {"admin": "S", "teacher": "S", "tutor": "S", "parent": "S", "student": "T"}
PARENT_OF = {"S": "P", "S2": "P2"}

# endpoint -> role -> (own, related, unrelated), or a single status for collections.
MATRIX: dict[str, dict[str, int | tuple[int, int, int]]] = {
    "GET users/": {"admin": 200, "teacher": 403, "tutor": 403, "parent": 403, "student": 403},
    "POST users/": {"admin": 201, "teacher": 403, "tutor": 403, "parent": 403, "student": 403},
    "GET users/{id}/": {
        "admin": (200, 200, 200),
        "teacher": (200, 200, 404),
        "tutor": (200, 200, 404),
        "parent": (200, 200, 404),
        "student": (200, 200, 404),
    },
    "PATCH users/{id}/": {
        "admin": (200, 200, 200),
        "teacher": (200, 403, 404),
        "tutor": (200, 200, 404),
        "parent": (200, 403, 404),
        "student": (200, 403, 404),
    },
    "DELETE users/{id}/": {
        "admin": (409, 204, 204),
        "teacher": (403, 403, 404),
        "tutor": (403, 403, 404),
        "parent": (403, 403, 404),
        "student": (403, 403, 404),
    },
    "GET users/{id}/profile/": {
        "admin": (200, 200, 200),
        "teacher": (200, 200, 404),
        "tutor": (200, 200, 404),
        "parent": (200, 200, 404),
        "student": (200, 200, 404),
    },
    "PATCH users/{id}/profile/": {
        "admin": (200, 200, 200),
        "teacher": (200, 403, 404),
        "tutor": (200, 200, 404),
        "parent": (200, 403, 404),
        "student": (200, 403, 404),
    },
    "GET users/{id}/parents/": {
        "admin": (200, 200, 200),
        "teacher": (403, 403, 404),
        "tutor": (403, 200, 404),
        "parent": (403, 403, 404),
        "student": (200, 403, 404),
    },
    "POST users/{id}/parents/": {
        "admin": (400, 200, 201),
        "teacher": (403, 403, 404),
        "tutor": (403, 200, 404),
        "parent": (403, 403, 404),
        "student": (403, 403, 404),
    },
    "DELETE users/{id}/parents/{parent}/": {
        "admin": (404, 204, 204),
        "teacher": (403, 403, 404),
        "tutor": (403, 204, 404),
        "parent": (403, 403, 404),
        "student": (403, 403, 404),
    },
    "GET users/{id}/avatar/": {
        "admin": (404, 404, 404),
        "teacher": (404, 404, 404),
        "tutor": (404, 404, 404),
        "parent": (404, 404, 404),
        "student": (404, 404, 404),
    },
    "POST users/{id}/avatar/": {
        "admin": (400, 400, 400),
        "teacher": (400, 403, 404),
        "tutor": (400, 403, 404),
        "parent": (400, 403, 404),
        "student": (400, 403, 404),
    },
    "DELETE users/{id}/avatar/": {
        "admin": (204, 204, 204),
        "teacher": (204, 403, 404),
        "tutor": (204, 403, 404),
        "parent": (204, 403, 404),
        "student": (204, 403, 404),
    },
    "GET students/": {"admin": 403, "teacher": 403, "tutor": 200, "parent": 403, "student": 403},
    "POST students/": {"admin": 403, "teacher": 403, "tutor": 201, "parent": 403, "student": 403},
    "GET children/": {"admin": 403, "teacher": 403, "tutor": 403, "parent": 200, "student": 403},
    "DELETE children/{id}/": {
        "admin": (404, 204, 204),
        "teacher": (403, 403, 403),
        "tutor": (403, 403, 403),
        "parent": (404, 204, 404),
        "student": (403, 403, 403),
    },
    "POST pairing-codes/": {
        "admin": (400, 201, 201),
        "teacher": (403, 403, 403),
        "tutor": (403, 201, 400),
        "parent": (403, 403, 403),
        "student": (201, 403, 400),
    },
    "POST pairing-codes/redeem/": {
        "admin": 403,
        "teacher": 403,
        "tutor": 403,
        "parent": 400,  # allowed; the code is wrong
        "student": 403,
    },
}
TARGETS = ("own", "related", "unrelated")


def cases():
    for endpoint, by_role in MATRIX.items():
        for role in ROLES:
            if not isinstance(by_role["admin"], tuple):
                status = 401 if role == "anonymous" else by_role[role]
                yield pytest.param(endpoint, role, None, status, id=f"{endpoint}-{role}")
                continue
            for i, target in enumerate(TARGETS):
                status = 401 if role == "anonymous" else by_role[role][i]
                yield pytest.param(
                    endpoint, role, target, status, id=f"{endpoint}-{role}-{target}"
                )


@pytest.fixture(autouse=True)
def fresh_limits(app):
    reset_limits(app.registry)


@pytest.fixture
def world(make_user, add_teaching_relation):
    people = {"A": make_user("admin")}
    for suffix in ("", "2"):
        tutor = make_user("tutor")
        student = make_user("student", profile={"tutor_id": tutor.id})
        parent = make_user("parent")
        ParentLinkFactory(student=student, parent=parent)
        people.update({f"T{suffix}": tutor, f"S{suffix}": student, f"P{suffix}": parent})
        people[f"E{suffix}"] = make_user("teacher")
    teacher_id, student_id = people["E"].id, people["S"].id
    # For this test only: the relation is gone afterwards.
    add_teaching_relation(
        "rbac-test",
        lambda: select(
            literal(teacher_id).label("teacher_id"), literal(student_id).label("student_id")
        ),
    )
    return people


def target_of(role, target):
    if role == "anonymous":
        return {"own": "S", "related": "S", "unrelated": "S2"}[target]
    return {"own": CALLER[role], "related": RELATED[role], "unrelated": "S2"}[target]


def profile_patch(user):
    return {
        "student": {"goal": "Read more"},
        "teacher": {"bio": "New"},
        "tutor": {"bio": "New"},
    }.get(user.role, {})


def new_student_body():
    return {
        "student": {"first_name": "Kid", "last_name": "New", "email": "kid.new@example.com"},
        "parent": {"first_name": "Mum", "last_name": "New", "email": "mum.new@example.com"},
    }


def request_for(endpoint, world, target_key):
    """(method, path, json body or None) for one cell of the matrix."""
    method, path = endpoint.split(" ")
    target = world[target_key] if target_key else None
    body = None
    query = ""
    if target is not None:
        path = path.replace("{id}", str(target.id))
        parent = world[PARENT_OF.get(target_key, "P")]
        path = path.replace("{parent}", str(parent.id))
    if endpoint == "POST users/":
        body = {"email": "made@example.com", "role": "teacher"}
    elif endpoint == "PATCH users/{id}/":
        body = {"first_name": "Renamed"}
    elif endpoint == "PATCH users/{id}/profile/":
        body = profile_patch(target)
    elif endpoint == "POST users/{id}/parents/":
        body = {"parent_id": world["P"].id}
    elif endpoint == "POST students/":
        body = new_student_body()
    elif endpoint == "POST pairing-codes/":
        body = {"student_id": target.id}
    elif endpoint == "POST pairing-codes/redeem/":
        body = {"code": "ABCDEFGH"}
    elif endpoint == "DELETE children/{id}/":
        query = f"?parent={world[PARENT_OF.get(target_key, 'P')].id}"
    return method, f"/api/accounts/{path}{query}", body


@pytest.mark.parametrize("endpoint, role, target, expected", list(cases()))
def test_rbac_matrix(testapp, auth_headers, world, endpoint, role, target, expected):
    caller = None if role == "anonymous" else world[CALLER[role]]
    target_key = target_of(role, target) if target else None
    method, url, body = request_for(endpoint, world, target_key)
    headers = auth_headers(caller) if caller is not None else {}
    if body is not None:
        send = getattr(testapp, f"{method.lower()}_json")
        res = send(url, body, headers=headers, expect_errors=True)
    else:
        res = testapp.request(url, method=method, headers=headers, expect_errors=True)
    assert res.status_int == expected, f"{role} {method} {url}: {res.status} {res.text[:300]}"
    if expected >= 400:
        assert res.content_type == "application/problem+json"
    if expected == 401:
        assert res.headers["WWW-Authenticate"] == "Token"


def test_matrix_covers_every_accounts_route(app):
    """A new accounts route must get a row in the matrix."""
    paths = {
        route.pattern
        for route in app.routes_mapper.get_routes()
        if route.pattern.startswith("/api/accounts/")
    }
    covered = {"/api/accounts/" + endpoint.split(" ")[1] for endpoint in MATRIX}
    covered = {c.replace("{id}", "{user_id}").replace("{parent}", "{parent_id}") for c in covered}
    assert paths == covered


# Who sees whom in the world above (everyone also sees themself).
SEES = {
    "A": {"A", "T", "S", "P", "E", "T2", "S2", "P2", "E2"},
    "E": {"E", "S"},
    "T": {"T", "S", "P"},
    "P": {"P", "S", "T", "E"},
    "S": {"S", "T", "E", "P"},
    "T2": {"T2", "S2", "P2"},
    "S2": {"S2", "T2", "P2"},
    "P2": {"P2", "S2", "T2"},
    "E2": {"E2"},
}


def test_visibility_rules_and_list_clause_agree(dbsession, world):
    """The single-object rule (relations) and the list rule (SQL clause) give the same answer,
    and both match the table above."""
    by_id = {user.id: key for key, user in world.items()}
    for viewer_key, viewer in world.items():
        listed = {
            by_id[uid]
            for uid in dbsession.scalars(
                select(User.id).where(visibility.visible_users_clause(viewer))
            )
            if uid in by_id
        }
        assert listed == SEES[viewer_key], viewer_key
        for target_key, target in world.items():
            seen = visibility.can_see(dbsession, viewer, target)
            assert seen == (target_key in SEES[viewer_key]), (viewer_key, target_key)


def test_teacher_sees_nothing_without_a_teaching_relation(app, dbsession, world):
    del app.registry[visibility.RELATIONS_KEY]["rbac-test"]  # the fixture's own copy
    teacher, student = world["E"], world["S"]
    assert not visibility.can_see(dbsession, teacher, student)
    assert not visibility.can_see(dbsession, student, teacher)
    taught = dbsession.scalars(visibility.students_taught_by(dbsession, teacher.id))
    assert list(itertools.islice(taught, 1)) == []
