"""Every JSON answer of the API matches the response schema its operation declares.

A seeded dataset (one of each object, related as in real use) is read and written through
WebTest as each role; each answer, success or problem+json, is checked against the
OpenAPI document (status documented, body valid under its schema, formats included).
Request bodies are built from the document itself (required fields, plus values for the
fields whose meaning a schema cannot carry: ids of the seeded objects, times, rules).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from contract.validation import Contract

ROLES = ("anonymous", "monitor", "admin", "teacher", "tutor", "student", "parent")
COUNTER = itertools.count(1)


@pytest.fixture(scope="module")
def unlimited_app(make_app: Any) -> Any:
    """Rate limits off: a walk of every operation is not what they are for (429 is checked
    like any other answer when it comes)."""
    return make_app(rate_limit_enabled="false")


@pytest.fixture
def api(unlimited_app: Any, dbsession: Any, client: Any) -> Any:
    return client(unlimited_app)


@pytest.fixture
def contract(api: Any) -> Contract:
    return Contract(api.get("/api/openapi.json").json)


@pytest.fixture
def world(dbsession: Any, make_user: Any) -> dict[str, Any]:
    """One of everything, related: the tutor's student, enrolled with the teacher, with a
    parent; a material, lesson, assignment (submitted, graded) and report about them."""
    import factories as f
    from thebot.assignments.reports.figures import compute_figures

    admin = make_user("admin")
    teacher = make_user("teacher")
    tutor = make_user("tutor")
    student = make_user("student", profile={"tutor_id": tutor.id})
    parent = make_user("parent")
    f.ParentLinkFactory(student=student, parent=parent)
    subject = f.SubjectFactory()
    f.TeacherSubjectFactory(teacher_id=teacher.id, subject_id=subject.id)
    enrollment = f.EnrollmentFactory(
        student_id=student.id, subject_id=subject.id, teacher_id=teacher.id
    )
    material = f.MaterialFactory(author_id=teacher.id, subject_id=subject.id, status="active")
    f.MaterialAssignmentFactory(material_id=material.id, student_id=student.id)
    f.MaterialProgressFactory(material_id=material.id, student_id=student.id, percentage=40)
    comment = f.MaterialCommentFactory(material_id=material.id, author_id=student.id)
    material_submission = f.MaterialSubmissionFactory(
        material_id=material.id, student_id=student.id
    )
    f.SubmissionFeedbackFactory(submission_id=material_submission.id, teacher_id=teacher.id)
    lesson = f.LessonFactory(teacher_id=teacher.id, student_id=student.id, subject_id=subject.id)
    assignment = f.AssignmentFactory(author_id=teacher.id, subject_id=subject.id)
    f.RubricCriterionFactory(assignment_id=assignment.id)
    f.AssignmentAssigneeFactory(assignment_id=assignment.id, student_id=student.id)
    f.AssignmentExtensionFactory(assignment_id=assignment.id, student_id=student.id)
    submission = f.AssignmentSubmissionFactory(assignment_id=assignment.id, student_id=student.id)
    f.GradeFactory(submission_id=submission.id, grader_id=teacher.id)
    report = f.StudentReportFactory(
        student_id=student.id,
        author_id=tutor.id,
        figures=compute_figures(dbsession, student.id, dt.date(2026, 3, 2), dt.date(2026, 3, 8)),
    )
    # Knowledge graph: the student's graph, a lesson with an element, a required edge.
    knowledge_lesson = f.KnowledgeLessonFactory(subject_id=subject.id, author_id=teacher.id)
    placed = f.LessonElementFactory(lesson_id=knowledge_lesson.id)
    graph = f.KnowledgeGraphFactory(
        kind="student", student_id=student.id, subject_id=subject.id, author_id=teacher.id
    )
    node = f.GraphNodeFactory(graph_id=graph.id, lesson_id=knowledge_lesson.id)
    before = f.GraphNodeFactory(graph_id=graph.id)
    dependency = f.DependencyFactory(
        graph_id=graph.id, from_node_id=before.id, to_node_id=node.id, type="recommended"
    )
    token = f"contract-calendar-token-{'x' * 32}"
    f.CalendarTokenFactory(user_id=student.id, token=token)
    dbsession.flush()
    return {
        "users": {
            "admin": admin,
            "teacher": teacher,
            "tutor": tutor,
            "student": student,
            "parent": parent,
        },
        "ids": {
            "user_id": student.id,
            "student_id": student.id,
            "student": student.id,
            "parent_id": parent.id,
            "teacher_id": teacher.id,
            "subject_id": subject.id,
            "enrollment_id": enrollment.id,
            "material_id": material.id,
            "comment_id": comment.id,
            "lesson_id": lesson.id,
            "assignment_id": assignment.id,
            "report_id": report.id,
            "series_id": 1,
            "backup_id": 1,
            "node_id": node.id,
            "element_id": placed.element_id,
            "dependency_id": dependency.id,
            "id": 1,
        },
        "submission_ids": {
            "/api/materials/": material_submission.id,
            "/api/assignments/": submission.id,
        },
        "token": token,
    }


def headers_for(role: str, world: dict[str, Any], auth_headers: Any) -> dict[str, str]:
    from testenv import METRICS_TOKEN

    if role == "anonymous":
        return {}
    if role == "monitor":
        return {"Authorization": f"Bearer {METRICS_TOKEN}"}
    return auth_headers(world["users"][role])


def concrete(template: str, world: dict[str, Any]) -> str:
    def value(name: str) -> str:
        if name == "token":
            return world["token"]
        if name == "submission_id":
            prefix = "/api/materials/" if template.startswith("/api/materials/") else "/api/"
            return str(
                world["submission_ids"].get(prefix, world["submission_ids"]["/api/assignments/"])
            )
        return str(world["ids"][name])

    import re

    return re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), template)


def sample(name: str, schema: dict[str, Any], world: dict[str, Any]) -> Any:
    """A plausible value for a request field: the seeded ids by name, then by type."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, second=0, minute=0)
    special = {
        "start": (now + dt.timedelta(days=3, hours=2)).isoformat(),
        "end": (now + dt.timedelta(days=3, hours=3)).isoformat(),
        "due_at": (now + dt.timedelta(days=7)).isoformat(),
        "timezone": "Europe/Moscow",
        "rrule": "FREQ=WEEKLY;COUNT=2",
        "period_start": "2026-03-02",
        "period_end": "2026-03-08",
        "new_start": (now + dt.timedelta(days=4, hours=2)).isoformat(),
        "new_end": (now + dt.timedelta(days=4, hours=3)).isoformat(),
        "type": None,
    }
    if special.get(name) is not None:
        return special[name]
    if name in world["ids"] and "integer" in str(schema.get("type")):
        return world["ids"][name]
    if name.endswith("_ids"):
        return [world["ids"].get(name[:-1], world["ids"]["student_id"])]
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if schema.get("format") == "date-time":
        return special["due_at"]
    if schema.get("format") == "date":
        return "2026-03-02"
    if schema.get("format") == "email":
        return f"contract{next(COUNTER)}@example.com"
    if kind == "string":
        if schema.get("format") == "decimal":
            return "10.00"
        return f"Sample {name} {next(COUNTER)}"[: schema.get("maxLength", 100)]
    if kind == "integer":
        return max(schema.get("minimum", 1), min(schema.get("maximum", 60), 60))
    if kind == "number":
        return 10
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return body_for(schema, world)
    return None


def body_for(schema: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    required = schema.get("required", [])
    return {
        name: sample(name, field, world)
        for name, field in schema.get("properties", {}).items()
        if name in required
    }


# These would end this role's token or replace the database mid-walk; their own tests cover
# them (and schemathesis, against a server of its own).
SKIPPED = ("/api/auth/logout/", "/api/auth/refresh/", "/api/system/backups/restore/")
ORDER = {"get": 0, "post": 1, "patch": 2, "put": 2, "delete": 3}


@pytest.mark.parametrize("role", ROLES)
def test_every_answer_matches_the_document(role, api, contract, world, auth_headers):
    headers = headers_for(role, world, auth_headers)
    checked: set[tuple[str, int]] = set()
    failures: list[str] = []
    ops = sorted(
        (
            (method, path, operation)
            for path, item in contract.document["paths"].items()
            for method, operation in item.items()
        ),
        key=lambda op: (ORDER[op[0]], op[1].count("{"), op[1]),
    )
    for method, template, operation in ops:
        if template in SKIPPED or template.startswith("/api/test/"):  # test-only views
            continue
        path = concrete(template, world)
        kwargs: dict[str, Any] = {"headers": headers, "expect_errors": True}
        content = operation.get("requestBody", {}).get("content", {})
        if method == "get":
            response = api.get(path, **kwargs)
        elif "application/json" in content:
            body = body_for(content["application/json"]["schema"], world)
            response = getattr(api, f"{method}_json")(path, body, **kwargs)
        elif content:  # multipart uploads: answered with a problem when the file is missing
            response = getattr(api, method)(path, **kwargs)
        else:
            response = getattr(api, method)(path, **kwargs)
        checked.add((template, response.status_int))
        if response.status_int >= 500:
            failures.append(f"{method} {path}: {response.text[:300]}")
            continue
        try:
            contract.check(method.upper(), path, response)
        except AssertionError as exc:
            failures.append(str(exc).split("\nassert")[0])
    assert failures == []
    assert len(checked) > 80


def test_a_student_without_an_extension_reads_assignments_as_documented(
    api, contract, world, make_user, auth_headers
):
    """Found by schemathesis: ``extension`` is null for a student without one."""
    import factories as f

    other = make_user("student")
    assignment_id = world["ids"]["assignment_id"]
    f.AssignmentAssigneeFactory(assignment_id=assignment_id, student_id=other.id)
    headers = auth_headers(other)
    for path in ("/api/assignments/", f"/api/assignments/{assignment_id}/"):
        answer = api.get(path, headers=headers)
        contract.check("GET", path, answer)
    assert answer.json["extension"] is None
