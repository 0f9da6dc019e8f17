"""Learning API: subjects, who teaches them, and enrollments.

Each view parses (schema), is authorized by its resource's ACL (``resources``), calls the
services (``subjects``, ``teachers``, ``enrollments``, which record what changed as
``events``) and audits.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPForbidden
from pyramid.response import Response

from thebot.accounts.models import User
from thebot.accounts.users.resources import viewer_of
from thebot.api import ApiService, Request
from thebot.audit import audit
from thebot.catalog import enrollments as enrollment_service
from thebot.catalog import subjects as service
from thebot.catalog import teachers as teacher_service
from thebot.catalog.models import Enrollment, Subject, TeacherSubject
from thebot.catalog.resources import (
    EnrollmentResource,
    LearningRoot,
    SubjectResource,
    SubjectTeacherResource,
)
from thebot.catalog.schemas import (
    AssignTeacherRequest,
    CreateEnrollmentRequest,
    CreateSubjectRequest,
    EnrollmentPage,
    EnrollmentSchema,
    EnrollmentsListRequest,
    SubjectPage,
    SubjectSchema,
    SubjectsListRequest,
    TeacherAssignmentPage,
    TeacherAssignmentSchema,
    TeachersListRequest,
    UpdateEnrollmentRequest,
    UpdateSubjectRequest,
)
from thebot.pagination import page_body, paginate_request
from thebot.permissions import (
    CREATE_ENROLLMENT,
    EDIT_ENROLLMENT,
    MANAGE_SUBJECT_TEACHERS,
    MANAGE_SUBJECTS,
    VIEW_ENROLLMENT,
    VIEW_ENROLLMENTS,
    VIEW_SUBJECTS,
)
from thebot.responses import check_if_match, created, no_content, with_etag
from thebot.schemas import NoContent, NoQueryRequest, responds

TAGS = ["learning"]

subjects = ApiService(
    name="materials_subjects",
    path="/api/materials/subjects/",
    description="The subject catalogue (admins write); ?teacher= subjects a user teaches",
    factory=LearningRoot,
)
subject = ApiService(
    name="materials_subject",
    path="/api/materials/subjects/{subject_id}/",
    description="One subject; DELETE only while nothing refers to it",
    factory=SubjectResource,
)
subject_teachers = ApiService(
    name="materials_subject_teachers",
    path="/api/materials/subjects/{subject_id}/teachers/",
    description="Teachers and tutors assigned to a subject (admins assign)",
    factory=SubjectResource,
)
subject_teacher = ApiService(
    name="materials_subject_teacher",
    path="/api/materials/subjects/{subject_id}/teachers/{user_id}/",
    description="Deactivate a teacher-subject assignment",
    factory=SubjectTeacherResource,
)
enrollments = ApiService(
    name="materials_enrollments",
    path="/api/materials/enrollments/",
    description="Students enrolled in subjects with a teacher, as the caller may see them",
    factory=LearningRoot,
)
enrollment = ApiService(
    name="materials_enrollment",
    path="/api/materials/enrollments/{enrollment_id}/",
    description="One enrollment; PATCH changes status, teacher or custom subject name",
    factory=EnrollmentResource,
)


def caller(request: Request) -> User:
    """The signed-in caller (each view's permission is granted to signed-in users only)."""
    user = viewer_of(request)
    if user is None:
        raise HTTPForbidden()
    return user


def one_enrollment(request: Request, item: Enrollment) -> dict[str, Any]:
    return enrollment_service.enrollment_items(request.dbsession, [item])[0]


# --- subjects -----------------------------------------------------------------------------


@subjects.get(
    permission=VIEW_SUBJECTS,
    schema=SubjectsListRequest(),
    tags=TAGS,
    response_schemas=responds(SubjectPage, "A page of subjects, by name"),
)
def list_subjects(request: Request) -> dict[str, Any]:
    query = request.validated["querystring"]
    stmt = service.subjects_query(
        caller(request), q=query.get("q"), teacher_id=query.get("teacher")
    )
    rows, next_cursor = paginate_request(
        request, stmt, [(Subject.name, "asc"), (Subject.id, "asc")]
    )
    return page_body([service.subject_data(s) for s in rows], next_cursor)


@subjects.post(
    permission=MANAGE_SUBJECTS,
    schema=CreateSubjectRequest(),
    tags=TAGS,
    response_schemas=responds(SubjectSchema, "The new subject", 201),
)
def create_subject(request: Request) -> dict[str, Any]:
    new = service.create_subject(request.dbsession, **request.validated["body"])
    audit(request, "subject.created", target_type="subject", target_id=new.id, name=new.name)
    created(request, "materials_subject", subject_id=new.id)
    return service.subject_data(new)


@subject.get(
    permission=VIEW_SUBJECTS,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(SubjectSchema, "The subject"),
)
def get_subject(request: Request) -> dict[str, Any]:
    return with_etag(request, service.subject_data(request.context.subject))


@subject.patch(
    permission=MANAGE_SUBJECTS,
    schema=UpdateSubjectRequest(),
    tags=TAGS,
    response_schemas=responds(SubjectSchema, "The updated subject"),
)
def patch_subject(request: Request) -> dict[str, Any]:
    target = request.context.subject
    check_if_match(request, service.subject_data(target))
    changed = service.update_subject(request.dbsession, target, dict(request.validated["body"]))
    if changed:
        audit(
            request, "subject.updated", target_type="subject", target_id=target.id, fields=changed
        )
    return with_etag(request, service.subject_data(target))


@subject.delete(
    permission=MANAGE_SUBJECTS,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Deleted", 204),
)
def delete_subject(request: Request) -> Response:
    """Only a subject without enrollments and materials: otherwise 409 (rename it instead)."""
    target = request.context.subject
    subject_id, name = target.id, target.name
    service.delete_subject(request.dbsession, target)
    audit(request, "subject.deleted", target_type="subject", target_id=subject_id, name=name)
    return no_content()


# --- teachers of a subject ----------------------------------------------------------------


@subject_teachers.get(
    permission=VIEW_SUBJECTS,
    schema=TeachersListRequest(),
    tags=TAGS,
    response_schemas=responds(TeacherAssignmentPage, "A page of the subject's teachers"),
)
def list_subject_teachers(request: Request) -> dict[str, Any]:
    """Active assignments (admins: ``?is_active=false`` for ended ones); students and parents
    see only the teachers they may see."""
    query = request.validated["querystring"]
    stmt = teacher_service.teachers_query(
        request.context.subject, caller(request), is_active=query["is_active"]
    )
    rows, next_cursor = paginate_request(request, stmt, [(TeacherSubject.id, "asc")])
    users = service.users_by_id(request.dbsession, [a.teacher_id for a in rows])
    return page_body(
        [teacher_service.assignment_data(a, users[a.teacher_id]) for a in rows], next_cursor
    )


@subject_teachers.post(
    permission=MANAGE_SUBJECT_TEACHERS,
    schema=AssignTeacherRequest(),
    tags=TAGS,
    response_schemas={
        **responds(TeacherAssignmentSchema, "The new assignment", 201),
        **responds(TeacherAssignmentSchema, "An existing assignment, now in the given state"),
    },
)
def assign_teacher(request: Request) -> dict[str, Any]:
    """Assign a teacher or tutor (201), or set an existing assignment's ``is_active`` (200)."""
    body = request.validated["body"]
    target = request.context.subject
    assignment, teacher, is_new, changed = teacher_service.assign_teacher(
        request.dbsession, target, body["teacher_id"], is_active=body["is_active"]
    )
    if changed:
        action = "subject.teacher_assigned" if assignment.is_active else "subject.teacher_removed"
        audit(request, action, target_type="subject", target_id=target.id, teacher_id=teacher.id)
    if is_new:
        request.response.status = 201
    return teacher_service.assignment_data(assignment, teacher)


@subject_teacher.delete(
    permission=MANAGE_SUBJECT_TEACHERS,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(NoContent, "Deactivated", 204),
)
def remove_subject_teacher(request: Request) -> Response:
    """Deactivate the assignment (kept as the record); 409 while the teacher has active
    enrollments in the subject."""
    assignment = request.context.assignment
    if teacher_service.set_active(request.dbsession, assignment, False):
        audit(
            request,
            "subject.teacher_removed",
            target_type="subject",
            target_id=assignment.subject_id,
            teacher_id=assignment.teacher_id,
        )
    return no_content()


# --- enrollments --------------------------------------------------------------------------


@enrollments.get(
    permission=VIEW_ENROLLMENTS,
    schema=EnrollmentsListRequest(),
    tags=TAGS,
    response_schemas=responds(EnrollmentPage, "A page of enrollments, newest first"),
)
def list_enrollments(request: Request) -> dict[str, Any]:
    """Admins: all; teachers: their own; tutors: their own and their students'; students:
    their own; parents: their children's. Filters ``student``, ``subject``, ``teacher``,
    ``status``."""
    query = request.validated["querystring"]
    filters = {k: query.get(k) for k in ("student", "subject", "teacher", "status")}
    rows, next_cursor = paginate_request(
        request,
        enrollment_service.enrollments_query(caller(request), **filters),
        [(Enrollment.id, "desc")],
    )
    return page_body(enrollment_service.enrollment_items(request.dbsession, rows), next_cursor)


@enrollments.post(
    permission=CREATE_ENROLLMENT,
    schema=CreateEnrollmentRequest(),
    tags=TAGS,
    response_schemas=responds(EnrollmentSchema, "The new enrollment", 201),
)
def create_enrollment(request: Request) -> dict[str, Any]:
    """Admins and the student's tutor (any teacher of the subject); a teacher or tutor who
    already teaches the student (themself only; ``teacher_id`` defaults to the caller). Any
    other student is a 404 (``enrollments`` module docstring)."""
    new = enrollment_service.create_enrollment(
        request.dbsession, caller(request), **request.validated["body"]
    )
    audit(
        request,
        "enrollment.created",
        target_type="enrollment",
        target_id=new.id,
        student_id=new.student_id,
        subject_id=new.subject_id,
        teacher_id=new.teacher_id,
    )
    created(request, "materials_enrollment", enrollment_id=new.id)
    return one_enrollment(request, new)


@enrollment.get(
    permission=VIEW_ENROLLMENT,
    schema=NoQueryRequest(),
    tags=TAGS,
    response_schemas=responds(EnrollmentSchema, "The enrollment"),
)
def get_enrollment(request: Request) -> dict[str, Any]:
    return with_etag(request, one_enrollment(request, request.context.enrollment))


@enrollment.patch(
    permission=EDIT_ENROLLMENT,
    schema=UpdateEnrollmentRequest(),
    tags=TAGS,
    response_schemas=responds(EnrollmentSchema, "The updated enrollment"),
)
def patch_enrollment(request: Request) -> dict[str, Any]:
    """Status (active/completed/dropped), custom subject name: its editors; the teacher:
    admins and the student's tutor. Reactivating a duplicate is a 409."""
    context = request.context
    target = context.enrollment
    check_if_match(request, one_enrollment(request, target))
    before = {"status": target.status, "teacher_id": target.teacher_id}
    changed = enrollment_service.update_enrollment(
        request.dbsession,
        caller(request),
        target,
        context.relations,
        dict(request.validated["body"]),
    )
    details = {"student_id": target.student_id, "subject_id": target.subject_id}
    if "status" in changed:
        audit(
            request,
            "enrollment.status_changed",
            target_type="enrollment",
            target_id=target.id,
            status_from=before["status"],
            status_to=target.status,
            **details,
        )
    others = [f for f in changed if f != "status"]
    if others:
        if "teacher_id" in others:
            details.update(teacher_from=before["teacher_id"], teacher_to=target.teacher_id)
        audit(
            request,
            "enrollment.updated",
            target_type="enrollment",
            target_id=target.id,
            fields=others,
            **details,
        )
    return with_etag(request, one_enrollment(request, target))
