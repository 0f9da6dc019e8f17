"""Assignments API: the list, one assignment, publish/close/clone.

Each view parses (schema), is authorized by its resource's ACL (``resources``), calls the
service (which records what happened: subscribers notify, see ``thebot.assignments.events``)
and renders.
Submissions, grades, extensions, timed attempts and statistics: ``submissions.views``.
"""

from __future__ import annotations

from typing import Any

from pyramid.response import Response

from thebot.accounts.models import Role, User
from thebot.api import ApiService, Request
from thebot.assignments.assignments import service
from thebot.assignments.assignments.assignees import explicit_assignees
from thebot.assignments.assignments.resources import (
    AssignmentResource,
    AssignmentsRoot,
    taught_subjects,
    visible_assignments_clause,
)
from thebot.assignments.assignments.rubrics import rubrics
from thebot.assignments.assignments.schemas import (
    AssignmentPage,
    AssignmentSchema,
    AssignmentsListRequest,
    CreateAssignmentRequest,
    UpdateAssignmentRequest,
)
from thebot.assignments.models import Assignment
from thebot.audit import audit
from thebot.db import utcnow
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    CLONE_ASSIGNMENT,
    CREATE_ASSIGNMENT,
    DELETE_ASSIGNMENT,
    EDIT_ASSIGNMENT,
    LIST_ASSIGNMENTS,
    PUBLISH_ASSIGNMENT,
    VIEW_ASSIGNMENT,
)
from thebot.responses import check_if_match, created, no_content, with_etag
from thebot.schemas import EmptyRequest, NoContent, NoQueryRequest, responds

TAGS = ["assignments"]

collection = ApiService(
    name="assignments",
    path="/api/assignments/",
    description="Assignments the caller may see; teachers, tutors and admins create them",
    factory=AssignmentsRoot,
)
item = ApiService(
    name="assignment",
    path="/api/assignments/{assignment_id}/",
    description="One assignment; only its author or an admin edits or deletes it",
    factory=AssignmentResource,
)
publish_service = ApiService(
    name="assignment_publish",
    path="/api/assignments/{assignment_id}/publish/",
    description="Publish a draft and notify its students",
    factory=AssignmentResource,
)
close_service = ApiService(
    name="assignment_close",
    path="/api/assignments/{assignment_id}/close/",
    description="Close a published assignment: no new submissions",
    factory=AssignmentResource,
)
clone_service = ApiService(
    name="assignment_clone",
    path="/api/assignments/{assignment_id}/clone/",
    description="A draft copy (rubric, policy, assignees) authored by the caller",
    factory=AssignmentResource,
)


def viewer(request: Request) -> User:
    return request.identity.user


def render(request: Request, assignment: Assignment, *, staff: bool) -> dict[str, Any]:
    """One assignment as the caller may see it (staff: with its student ids)."""
    rubric = rubrics(request.dbsession, [assignment.id])[assignment.id]
    student_ids = None
    if staff:
        student_ids = explicit_assignees(request.dbsession, [assignment.id])[assignment.id]
    as_student = viewer(request).role == Role.STUDENT.value
    extension = None
    if as_student:
        extension = service.extension_of(request.dbsession, assignment.id, viewer(request).id)
    return service.assignment_data(
        assignment, rubric, student_ids=student_ids, extension=extension, as_student=as_student
    )


def render_many(request: Request, rows: list[Assignment]) -> list[dict[str, Any]]:
    """A page of assignments in a constant number of queries."""
    user = viewer(request)
    dbsession = request.dbsession
    ids = [a.id for a in rows]
    rubric = rubrics(dbsession, ids)
    staff_ids: set[int] = set()
    if user.role == Role.ADMIN.value:
        staff_ids = set(ids)
    elif user.role in (Role.TEACHER.value, Role.TUTOR.value) and ids:
        subjects = set(dbsession.execute(taught_subjects(user.id)).scalars())
        staff_ids = {a.id for a in rows if a.author_id == user.id or a.subject_id in subjects}
    assignees = explicit_assignees(dbsession, sorted(staff_ids))
    as_student = user.role == Role.STUDENT.value
    extensions = service.extensions_for(dbsession, user.id, ids) if as_student else {}
    return [
        service.assignment_data(
            a,
            rubric[a.id],
            student_ids=assignees.get(a.id) if a.id in staff_ids else None,
            extension=extensions.get(a.id),
            as_student=as_student,
        )
        for a in rows
    ]


# --- the collection -------------------------------------------------------------------------


@collection.get(
    permission=LIST_ASSIGNMENTS,
    schema=AssignmentsListRequest(),
    tags=TAGS,
    response_schemas=responds(AssignmentPage, "A page of assignments, newest first"),
)
def list_assignments(request: Request) -> dict[str, Any]:
    """Assignments the caller may see; filters ``subject``, ``status``, ``author``."""
    query = request.validated["querystring"]
    stmt = service.assignments_query(
        visible_assignments_clause(viewer(request)),
        subject_id=query.get("subject"),
        status=query.get("status"),
        author_id=query.get("author"),
    )
    rows, next_cursor = paginate_request(request, stmt, [(Assignment.id, "desc")])
    return page_body(render_many(request, rows), next_cursor)


@collection.post(
    permission=CREATE_ASSIGNMENT,
    schema=CreateAssignmentRequest(),
    tags=TAGS,
    response_schemas=responds(AssignmentSchema, "The new draft", 201),
)
def create_assignment(request: Request) -> dict[str, Any]:
    """A draft in a subject the caller teaches (admins: any subject)."""
    assignment = service.create_assignment(
        request.dbsession, viewer(request), request.validated["body"], utcnow()
    )
    audit(request, "assignment.created", target_type="assignment", target_id=assignment.id)
    created(request, "assignment", assignment_id=assignment.id)
    return render(request, assignment, staff=True)


# --- one assignment -------------------------------------------------------------------------


@item.get(
    permission=VIEW_ASSIGNMENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(AssignmentSchema, "The assignment"),
)
def get_assignment(request: Request) -> dict[str, Any]:
    context = request.context
    return with_etag(request, render(request, context.assignment, staff=context.is_staff))


@item.patch(
    permission=EDIT_ASSIGNMENT,
    schema=UpdateAssignmentRequest(),
    tags=TAGS,
    response_schemas=responds(AssignmentSchema, "The updated assignment"),
)
def patch_assignment(request: Request) -> dict[str, Any]:
    """Any field of the create body; ``rubric`` and ``student_ids`` replace the lists."""
    assignment = request.context.assignment
    check_if_match(request, render(request, assignment, staff=True))
    changed, _added = service.update_assignment(
        request.dbsession, viewer(request), assignment, request.validated["body"]
    )
    if changed:
        audit(
            request,
            "assignment.updated",
            target_type="assignment",
            target_id=assignment.id,
            fields=changed,
        )
    return with_etag(request, render(request, assignment, staff=True))


@item.delete(
    permission=DELETE_ASSIGNMENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Deleted", 204),
)
def delete_assignment(request: Request) -> Response:
    """Drafts, and published ones nobody has submitted to (409 otherwise: close it)."""
    assignment = request.context.assignment
    assignment_id, title = assignment.id, assignment.title
    service.delete_assignment(request.dbsession, assignment)
    audit(
        request,
        "assignment.deleted",
        target_type="assignment",
        target_id=assignment_id,
        title=title,
    )
    return no_content()


# --- state changes --------------------------------------------------------------------------


@publish_service.post(
    permission=PUBLISH_ASSIGNMENT,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(AssignmentSchema, "The published assignment"),
)
def publish_assignment(request: Request) -> dict[str, Any]:
    """Draft -> published; every assigned student is notified once the change commits."""
    assignment = request.context.assignment
    students = service.publish(request.dbsession, assignment, utcnow())
    audit(
        request,
        "assignment.published",
        target_type="assignment",
        target_id=assignment.id,
        students=len(students),
    )
    return render(request, assignment, staff=True)


@close_service.post(
    permission=PUBLISH_ASSIGNMENT,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(AssignmentSchema, "The closed assignment"),
)
def close_assignment(request: Request) -> dict[str, Any]:
    """Published -> closed: no new submissions (grading goes on)."""
    assignment = request.context.assignment
    service.close(request.dbsession, assignment, utcnow())
    audit(request, "assignment.closed", target_type="assignment", target_id=assignment.id)
    return render(request, assignment, staff=True)


@clone_service.post(
    permission=CLONE_ASSIGNMENT,
    schema=EmptyRequest(),
    tags=TAGS,
    response_schemas=responds(AssignmentSchema, "The new draft copy", 201),
)
def clone_assignment(request: Request) -> dict[str, Any]:
    """A draft copy authored by the caller, with the rubric, dates, policy and assignees."""
    source = request.context.assignment
    copy = service.clone(request.dbsession, viewer(request), source, utcnow())
    audit(
        request,
        "assignment.cloned",
        target_type="assignment",
        target_id=copy.id,
        source_id=source.id,
    )
    created(request, "assignment", assignment_id=copy.id)
    return render(request, copy, staff=True)
