"""Route factories of subjects, teacher assignments and enrollments. Who sees which
enrollment is ``thebot.catalog.visibility``: everyone else gets a 404 from the factory, so
existence is never revealed. Editing is for admins, the enrollment's teacher and the
student's tutor; anonymous callers are not looked up at all and get the 401 of the
forbidden view.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import select

from thebot.accounts.models import Role
from thebot.accounts.users.resources import viewer_of
from thebot.api import parse_id
from thebot.catalog.models import Enrollment, Subject, TeacherSubject
from thebot.catalog.visibility import AS_ADMIN, AS_TEACHER, AS_TUTOR, enrollment_relations
from thebot.permissions import (
    CREATE_ENROLLMENT,
    EDIT_ENROLLMENT,
    MANAGE_SUBJECT_TEACHERS,
    MANAGE_SUBJECTS,
    VIEW_ENROLLMENT,
    VIEW_ENROLLMENTS,
    VIEW_SUBJECTS,
)

ADMIN = f"role:{Role.ADMIN.value}"
DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)

EDITORS = frozenset({AS_ADMIN, AS_TEACHER, AS_TUTOR})


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
