"""Route factories of the assignments API, and the one place that says who sees what.

Who sees an assignment (the same rules for single objects and for lists):

- its author and admins, whatever its status (drafts: nobody else);
- once published (or closed):
  - the teachers/tutors of its subject (an active teacher-subject assignment): colleagues
    who share the class see, grade, extend and clone, but do not edit (decided so that a
    substitute or co-teacher can mark work; editing stays with the author);
  - the students it reaches: assigned now (explicitly or by an active enrollment when the
    whole subject is assigned) or who have submitted to it (their history stays visible);
  - the parents of those students and their tutor (``StudentProfile.tutor_id``), read-only.
- everybody else: 404. Visible but not allowed (a student editing, a parent submitting): 403.

A submission is seen by the assignment's graders (admins, author, subject teachers), its
student, the student's parents and tutor; lists are filtered to the same people.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Deny, Everyone
from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import ColumnElement, Select, and_, exists, false, literal, or_, select, true
from sqlalchemy.orm import Session

from thebot.accounts import visibility as people
from thebot.accounts.models import ParentLink, Role, StudentProfile, User
from thebot.accounts.users.resources import viewer_of
from thebot.api import parse_id
from thebot.assignments.assignments.assignees import ACTIVE_ENROLLMENT, is_assigned
from thebot.assignments.assignments.service import DRAFT
from thebot.assignments.models import (
    Assignment,
    AssignmentAssignee,
    AssignmentExtension,
    AssignmentSubmission,
)
from thebot.catalog.models import Enrollment, TeacherSubject
from thebot.permissions import (
    CLONE_ASSIGNMENT,
    CREATE_ASSIGNMENT,
    DELETE_ASSIGNMENT,
    EDIT_ASSIGNMENT,
    GRADE_SUBMISSION,
    LIST_ASSIGNMENT_SUBMISSIONS,
    LIST_ASSIGNMENTS,
    MANAGE_EXTENSIONS,
    PUBLISH_ASSIGNMENT,
    SUBMIT_ASSIGNMENT,
    VIEW_ASSIGNMENT,
    VIEW_ASSIGNMENT_STATS,
    VIEW_ASSIGNMENT_SUBMISSION,
    VIEW_EXTENSIONS,
)

DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)

# How a viewer relates to an assignment.
AS_ADMIN = "admin"
AS_AUTHOR = "author"
AS_TEACHER = "teacher"  # teaches the subject (not the author)
AS_STUDENT = "student"  # reached: assigned now or has submitted
AS_ASSIGNEE = "assignee"  # assigned now: may submit
AS_PARENT = "parent"  # a parent of a reached student
AS_TUTOR = "tutor"  # the assigned tutor of a reached student
GRADERS = frozenset({AS_ADMIN, AS_AUTHOR, AS_TEACHER})
OWNERS = frozenset({AS_ADMIN, AS_AUTHOR})

RELATION_PERMISSIONS: dict[str, tuple[str, ...]] = {
    AS_ADMIN: (
        VIEW_ASSIGNMENT,
        EDIT_ASSIGNMENT,
        DELETE_ASSIGNMENT,
        PUBLISH_ASSIGNMENT,
        CLONE_ASSIGNMENT,
        VIEW_ASSIGNMENT_STATS,
        VIEW_EXTENSIONS,
        MANAGE_EXTENSIONS,
        LIST_ASSIGNMENT_SUBMISSIONS,
    ),
    AS_TEACHER: (
        VIEW_ASSIGNMENT,
        CLONE_ASSIGNMENT,
        VIEW_ASSIGNMENT_STATS,
        VIEW_EXTENSIONS,
        MANAGE_EXTENSIONS,
        LIST_ASSIGNMENT_SUBMISSIONS,
    ),
    AS_STUDENT: (VIEW_ASSIGNMENT, VIEW_EXTENSIONS, LIST_ASSIGNMENT_SUBMISSIONS),
    AS_ASSIGNEE: (SUBMIT_ASSIGNMENT,),
    AS_PARENT: (VIEW_ASSIGNMENT, VIEW_EXTENSIONS, LIST_ASSIGNMENT_SUBMISSIONS),
    AS_TUTOR: (VIEW_ASSIGNMENT, VIEW_EXTENSIONS, LIST_ASSIGNMENT_SUBMISSIONS),
}
RELATION_PERMISSIONS[AS_AUTHOR] = RELATION_PERMISSIONS[AS_ADMIN]


def taught_subjects(teacher_id: int) -> Select:
    return select(TeacherSubject.subject_id).where(
        TeacherSubject.teacher_id == teacher_id, TeacherSubject.is_active.is_(True)
    )


def _reaches(student_ids: Any) -> ColumnElement[bool]:
    """The assignment (correlated) reaches one of ``student_ids`` (a Select or a list)."""
    explicit = exists().where(
        AssignmentAssignee.assignment_id == Assignment.id,
        AssignmentAssignee.student_id.in_(student_ids),
    )
    enrolled = and_(
        Assignment.assign_to_subject.is_(True),
        exists().where(
            Enrollment.subject_id == Assignment.subject_id,
            Enrollment.status == ACTIVE_ENROLLMENT,
            Enrollment.student_id.in_(student_ids),
        ),
    )
    submitted = exists().where(
        AssignmentSubmission.assignment_id == Assignment.id,
        AssignmentSubmission.student_id.in_(student_ids),
    )
    return or_(explicit, enrolled, submitted)


def _relation_clauses(viewer: User) -> dict[str, ColumnElement[bool]]:
    """Per relation, a clause on ``Assignment`` true when the viewer has it (non-drafts)."""
    clauses: dict[str, ColumnElement[bool]] = {}
    if viewer.role in people.TEACHING_ROLES:
        clauses[AS_TEACHER] = Assignment.subject_id.in_(taught_subjects(viewer.id))
    if viewer.role == Role.TUTOR.value:
        clauses[AS_TUTOR] = _reaches(people.tutored_by(viewer.id))
    if viewer.role == Role.STUDENT.value:
        clauses[AS_STUDENT] = _reaches([viewer.id])
    if viewer.role == Role.PARENT.value:
        clauses[AS_PARENT] = _reaches(people.children_of(viewer.id))
    return clauses


def visible_assignments_clause(viewer: User) -> ColumnElement[bool]:
    """WHERE clause on ``Assignment`` selecting exactly what ``viewer`` may see."""
    if not viewer.is_active:
        return false()
    if viewer.role == Role.ADMIN.value:
        return true()
    others = list(_relation_clauses(viewer).values())
    if not others:
        return Assignment.author_id == viewer.id
    return or_(Assignment.author_id == viewer.id, and_(Assignment.status != DRAFT, or_(*others)))


def assignment_relations(
    dbsession: Session, viewer: User | None, assignment: Assignment
) -> frozenset[str]:
    """How ``viewer`` relates to ``assignment`` (empty: not at all, so it is a 404)."""
    if viewer is None or not viewer.is_active:
        return frozenset()
    if viewer.role == Role.ADMIN.value:
        return frozenset({AS_ADMIN})
    found: set[str] = set()
    if assignment.author_id == viewer.id:
        found.add(AS_AUTHOR)
    if assignment.status == DRAFT:
        return frozenset(found)
    clauses = _relation_clauses(viewer)
    if clauses:
        stmt = select(*[c.label(name) for name, c in clauses.items()])
        row = dbsession.execute(
            stmt.select_from(Assignment).where(Assignment.id == assignment.id)
        ).one()
        found.update(name for name in clauses if getattr(row, name))
    if AS_TEACHER in found and AS_AUTHOR in found:
        found.discard(AS_TEACHER)
    if AS_STUDENT in found and is_assigned(dbsession, assignment, viewer.id):
        found.add(AS_ASSIGNEE)
    return frozenset(found)


def student_scope(viewer: User, relations: frozenset[str]) -> Any:
    """Whose submissions and extensions ``viewer`` sees here: ``None`` for all (graders),
    else a list or ``SELECT`` of student ids (self, children, tutored students)."""
    if relations & GRADERS:
        return None
    if viewer.role == Role.STUDENT.value:
        return [viewer.id]
    if viewer.role == Role.PARENT.value:
        return people.children_of(viewer.id)
    if viewer.role == Role.TUTOR.value:
        return people.tutored_by(viewer.id)
    return []


def submission_relations(
    dbsession: Session, viewer: User | None, submission: AssignmentSubmission
) -> tuple[Assignment | None, frozenset[str]]:
    """(the assignment, how ``viewer`` relates to this submission): graders of the
    assignment, the student (``student``), their parents (``parent``) and tutor."""
    assignment = dbsession.get(Assignment, submission.assignment_id)
    if assignment is None or viewer is None or not viewer.is_active:
        return assignment, frozenset()
    graders = assignment_relations(dbsession, viewer, assignment) & GRADERS
    if graders:
        return assignment, graders
    if viewer.id == submission.student_id:
        return assignment, frozenset({AS_STUDENT})
    check: ColumnElement[bool] | None = None
    if viewer.role == Role.PARENT.value:
        check = exists().where(
            ParentLink.parent_id == viewer.id, ParentLink.student_id == submission.student_id
        )
        name = AS_PARENT
    elif viewer.role == Role.TUTOR.value:
        check = exists().where(
            StudentProfile.user_id == submission.student_id,
            StudentProfile.tutor_id == viewer.id,
        )
        name = AS_TUTOR
    if check is not None and dbsession.scalar(select(check)):
        return assignment, frozenset({name})
    return assignment, frozenset()


def can_view_submission(
    dbsession: Session, viewer: User | None, submission: AssignmentSubmission
) -> bool:
    """For ``GET /media/{path}`` of a file whose owner is an assignment submission."""
    return bool(submission_relations(dbsession, viewer, submission)[1])


def _acl(viewer: User, relations: frozenset[str]) -> list[Any]:
    granted = sorted({p for rel in relations for p in RELATION_PERMISSIONS.get(rel, ())})
    acl: list[Any] = []
    if granted:
        acl.append((Allow, f"user:{viewer.id}", tuple(granted)))
    acl.append(DENY_REST)
    return acl


class AssignmentsRoot:
    """``/api/assignments/``: everyone lists (filtered); teachers, tutors, admins create."""

    __acl__ = [
        (Allow, f"role:{Role.ADMIN.value}", (LIST_ASSIGNMENTS, CREATE_ASSIGNMENT)),
        (Allow, f"role:{Role.TEACHER.value}", (LIST_ASSIGNMENTS, CREATE_ASSIGNMENT)),
        (Allow, f"role:{Role.TUTOR.value}", (LIST_ASSIGNMENTS, CREATE_ASSIGNMENT)),
        (Allow, f"role:{Role.STUDENT.value}", LIST_ASSIGNMENTS),
        (Allow, f"role:{Role.PARENT.value}", LIST_ASSIGNMENTS),
        DENY_REST,
    ]

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)


class AssignmentResource:
    """``/api/assignments/{assignment_id}/...``: one assignment the caller may see."""

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.assignment: Assignment | None = None
        self.relations: frozenset[str] = frozenset()
        self.__acl__: list[Any] = [DENY_REST]
        if self.viewer is None:
            return  # anonymous: no lookup, so no existence oracle; the view answers 401
        assignment_id = parse_id(request.matchdict.get("assignment_id"))
        assignment = request.dbsession.get(Assignment, assignment_id) if assignment_id else None
        if assignment is None:
            raise HTTPNotFound()
        self.relations = assignment_relations(request.dbsession, self.viewer, assignment)
        if not self.relations:
            raise HTTPNotFound()
        self.assignment = assignment
        self.__acl__ = _acl(self.viewer, self.relations)

    @property
    def is_staff(self) -> bool:
        return bool(self.relations & GRADERS)

    @property
    def scope(self) -> Any:
        return student_scope(self.viewer, self.relations) if self.viewer else []


class ExtensionResource(AssignmentResource):
    """``/api/assignments/{assignment_id}/extensions/{student_id}/``: one extension."""

    def __init__(self, request: Any):
        super().__init__(request)
        self.extension: AssignmentExtension | None = None
        if self.assignment is None:
            return
        student_id = parse_id(request.matchdict.get("student_id"))
        extension = None
        if student_id is not None:
            extension = request.dbsession.scalar(
                select(AssignmentExtension).where(
                    AssignmentExtension.assignment_id == self.assignment.id,
                    AssignmentExtension.student_id == student_id,
                )
            )
        visible = extension is not None and (
            self.is_staff or _in_scope(request.dbsession, self.scope, extension.student_id)
        )
        if not visible:
            raise HTTPNotFound()
        self.extension = extension


def _in_scope(dbsession: Session, scope: Any, student_id: int) -> bool:
    if scope is None:
        return True
    if isinstance(scope, list):
        return student_id in scope
    # ``SELECT :id IN (<scope>)``: an EXISTS without a FROM is an error on SQLite.
    return bool(dbsession.scalar(select(literal(student_id).in_(scope))))


class SubmissionResource:
    """``/api/assignments/submissions/{submission_id}/...``: graders grade and return; the
    student, their parents and tutor read."""

    def __init__(self, request: Any):
        self.request = request
        self.viewer = viewer_of(request)
        self.submission: AssignmentSubmission | None = None
        self.assignment: Assignment | None = None
        self.relations: frozenset[str] = frozenset()
        self.__acl__: list[Any] = [DENY_REST]
        if self.viewer is None:
            return
        submission_id = parse_id(request.matchdict.get("submission_id"))
        submission = (
            request.dbsession.get(AssignmentSubmission, submission_id) if submission_id else None
        )
        if submission is None:
            raise HTTPNotFound()
        assignment, relations = submission_relations(request.dbsession, self.viewer, submission)
        if not relations or assignment is None:
            raise HTTPNotFound()
        self.submission, self.assignment, self.relations = submission, assignment, relations
        granted: tuple[str, ...] = (VIEW_ASSIGNMENT_SUBMISSION,)
        if relations & GRADERS:
            granted = (VIEW_ASSIGNMENT_SUBMISSION, GRADE_SUBMISSION)
        self.__acl__ = [(Allow, f"user:{self.viewer.id}", granted), DENY_REST]

    @property
    def is_staff(self) -> bool:
        return bool(self.relations & GRADERS)
