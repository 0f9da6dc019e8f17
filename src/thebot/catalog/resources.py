"""Route factories of subjects, teacher assignments, enrollments and dashboards, and the one
place that says who sees which enrollment.

Who sees an enrollment (the same rules for single objects and for lists):

- admins see every enrollment;
- the teacher (or tutor) of the enrollment sees it;
- the student's tutor (``StudentProfile.tutor_id``) sees every enrollment of that student;
- the student sees their own, and their parents see their children's.

Everyone else gets a 404 from the factory, so existence is never revealed. Editing is for
admins, the enrollment's teacher and the student's tutor; anonymous callers are not looked
up at all and get the 401 of the forbidden view.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts.models import ParentLink, Role, StudentProfile, User
from thebot.accounts.relationships import visibility as people
from thebot.accounts.users.resources import viewer_of
from thebot.api import parse_id
from thebot.catalog.models import Enrollment, Subject, TeacherSubject
from thebot.permissions import (
    CREATE_ENROLLMENT,
    EDIT_ENROLLMENT,
    MANAGE_SUBJECT_TEACHERS,
    MANAGE_SUBJECTS,
    VIEW_ENROLLMENT,
    VIEW_ENROLLMENTS,
    VIEW_PARENT_DASHBOARD,
    VIEW_STUDENT_DASHBOARD,
    VIEW_SUBJECTS,
    VIEW_TEACHER_DASHBOARD,
    VIEW_TUTOR_DASHBOARD,
)

ADMIN = f"role:{Role.ADMIN.value}"
DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)

# How a viewer relates to an enrollment.
AS_ADMIN = "admin"
AS_TEACHER = "teacher"  # the enrollment's teacher (a teacher or a tutor)
AS_TUTOR = "tutor"  # the student's assigned tutor
AS_STUDENT = "student"
AS_PARENT = "parent"
EDITORS = frozenset({AS_ADMIN, AS_TEACHER, AS_TUTOR})


def visible_enrollments_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause on ``Enrollment`` selecting exactly what ``viewer`` may see."""
    if not viewer.is_active:
        return false()
    return enrollments_visible_to_role(viewer.role, viewer.id)


def enrollments_visible_to_role(role: str, viewer_id: Any) -> ColumnElement[bool]:
    """The enrollments an active user of ``role`` sees; ``viewer_id`` is their id or a bound
    parameter (statements built once per role take it at execution)."""
    if role == Role.ADMIN.value:
        return true()
    if role == Role.TEACHER.value:
        return Enrollment.teacher_id == viewer_id
    if role == Role.TUTOR.value:
        return or_(
            Enrollment.teacher_id == viewer_id,
            Enrollment.student_id.in_(people.tutored_by(viewer_id)),
        )
    if role == Role.STUDENT.value:
        return Enrollment.student_id == viewer_id
    if role == Role.PARENT.value:
        return Enrollment.student_id.in_(people.children_of(viewer_id))
    return false()


def enrollment_relations(
    dbsession: Session, viewer: User | None, enrollment: Enrollment
) -> frozenset[str]:
    """How ``viewer`` relates to ``enrollment`` (empty: not at all, so it is a 404)."""
    if viewer is None or not viewer.is_active:
        return frozenset()
    if viewer.role == Role.ADMIN.value:
        return frozenset({AS_ADMIN})
    found: set[str] = set()
    if viewer.role == Role.STUDENT.value and enrollment.student_id == viewer.id:
        found.add(AS_STUDENT)
    if viewer.role in people.TEACHING_ROLES and enrollment.teacher_id == viewer.id:
        found.add(AS_TEACHER)
    check: ColumnElement[bool] | None = None
    if viewer.role == Role.TUTOR.value:
        check = exists().where(
            StudentProfile.user_id == enrollment.student_id,
            StudentProfile.tutor_id == viewer.id,
        )
    elif viewer.role == Role.PARENT.value:
        check = exists().where(
            ParentLink.student_id == enrollment.student_id, ParentLink.parent_id == viewer.id
        )
    if check is not None and dbsession.scalar(select(check)):
        found.add(AS_TUTOR if viewer.role == Role.TUTOR.value else AS_PARENT)
    return frozenset(found)


class LearningRoot:
    """Collections: subjects and enrollments, before any object is chosen."""

    __acl__ = [
        (Allow, ADMIN, (MANAGE_SUBJECTS, CREATE_ENROLLMENT)),
        (Allow, f"role:{Role.TEACHER.value}", CREATE_ENROLLMENT),
        (Allow, f"role:{Role.TUTOR.value}", CREATE_ENROLLMENT),
        (Allow, Authenticated, (VIEW_SUBJECTS, VIEW_ENROLLMENTS)),
        DENY_REST,
    ]

    def __init__(self, request: Any):
        self.request = request


class SubjectResource:
    """One subject: every signed-in user reads it; admins change it and who teaches it."""

    def __init__(self, request: Any):
        self.request = request
        self.subject: Subject | None = None
        self.__acl__: list[Any] = [DENY_REST]
        if viewer_of(request) is None:
            return  # anonymous or the monitoring token: no lookup, the view answers 401/403
        subject_id = parse_id(request.matchdict.get("subject_id"))
        subject = request.dbsession.get(Subject, subject_id) if subject_id else None
        if subject is None:
            raise HTTPNotFound()
        self.subject = subject
        self.__acl__ = [
            (Allow, ADMIN, (VIEW_SUBJECTS, MANAGE_SUBJECTS, MANAGE_SUBJECT_TEACHERS)),
            (Allow, Authenticated, VIEW_SUBJECTS),
            DENY_REST,
        ]


class SubjectTeacherResource(SubjectResource):
    """``/subjects/{subject_id}/teachers/{user_id}/``: one teacher-subject assignment.

    Only admins manage assignments; for anyone else the assignment is not even looked up.
    """

    def __init__(self, request: Any):
        super().__init__(request)
        self.assignment: TeacherSubject | None = None
        viewer = viewer_of(request)
        if self.subject is None or viewer is None or viewer.role != Role.ADMIN.value:
            return
        teacher_id = parse_id(request.matchdict.get("user_id"))
        assignment = None
        if teacher_id is not None:
            assignment = request.dbsession.execute(
                select(TeacherSubject).where(
                    TeacherSubject.subject_id == self.subject.id,
                    TeacherSubject.teacher_id == teacher_id,
                )
            ).scalar_one_or_none()
        if assignment is None:
            raise HTTPNotFound()
        self.assignment = assignment


class EnrollmentResource:
    """One enrollment, seen by the caller: ``__acl__`` from the caller's relation to it."""

    def __init__(self, request: Any):
        self.request = request
        self.enrollment: Enrollment | None = None
        self.relations: frozenset[str] = frozenset()
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None:
            return
        enrollment_id = parse_id(request.matchdict.get("enrollment_id"))
        enrollment = request.dbsession.get(Enrollment, enrollment_id) if enrollment_id else None
        relations = (
            enrollment_relations(request.dbsession, viewer, enrollment) if enrollment else None
        )
        if not relations:
            raise HTTPNotFound()
        self.enrollment = enrollment
        self.relations = relations
        granted = (VIEW_ENROLLMENT, EDIT_ENROLLMENT) if relations & EDITORS else (VIEW_ENROLLMENT,)
        self.__acl__ = [(Allow, f"user:{viewer.id}", granted), DENY_REST]


class DashboardRoot:
    """Each dashboard is for its own role only."""

    __acl__ = [
        (Allow, f"role:{Role.STUDENT.value}", VIEW_STUDENT_DASHBOARD),
        (Allow, f"role:{Role.TEACHER.value}", VIEW_TEACHER_DASHBOARD),
        (Allow, f"role:{Role.TUTOR.value}", VIEW_TUTOR_DASHBOARD),
        (Allow, f"role:{Role.PARENT.value}", VIEW_PARENT_DASHBOARD),
        DENY_REST,
    ]

    def __init__(self, request: Any):
        self.request = request
