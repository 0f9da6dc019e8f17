"""Security policy: identities, principals, permission names, the root ACL, CSRF."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pyramid.authorization import ALL_PERMISSIONS, ACLHelper, Allow, Authenticated, Deny, Everyone
from pyramid.exceptions import BadCSRFOrigin, BadCSRFToken
from pyramid.interfaces import ICSRFStoragePolicy
from pyramid.response import Response
from zope.interface import implementer

# Permission names: every view names one of these (or NO_PERMISSION_REQUIRED for public views).
VIEW_SYSTEM = "system.view"  # health, metrics, components, uptime: admins and monitoring
MANAGE_SYSTEM = "system.manage"
VIEW_AUDIT_LOG = "system.audit_log.view"  # admins only: never the monitoring token
AUTHENTICATED = "authenticated"  # any signed-in user (not the monitoring token)
DENY_ALL = "thebot.nobody"  # the default permission: a view that forgot to declare is closed

# accounts: users and relationships (granted by thebot.accounts.resources)
MANAGE_USERS = "accounts.users.manage"  # list and create accounts of any role
VIEW_USER = "accounts.user.view"
EDIT_USER = "accounts.user.edit"  # protected fields are re-checked in accounts.service
DEACTIVATE_USER = "accounts.user.deactivate"
VIEW_PRIVATE = "accounts.user.view_private"  # private profile fields
EDIT_PROFILE = "accounts.profile.edit"
MANAGE_STUDENTS = "accounts.students.manage"  # a tutor's own students
VIEW_CHILDREN = "accounts.children.view"
UNLINK_CHILD = "accounts.children.unlink"
VIEW_PARENT_LINKS = "accounts.parents.view"
MANAGE_PARENT_LINKS = "accounts.parents.manage"
CREATE_PAIRING_CODE = "accounts.pairing.create"
REDEEM_PAIRING_CODE = "accounts.pairing.redeem"

# materials: subjects, enrollments, dashboards (granted by thebot.catalog.resources)
VIEW_SUBJECTS = "materials.subjects.view"  # the subject catalogue and who teaches what
MANAGE_SUBJECTS = "materials.subjects.manage"  # create, edit, delete subjects
MANAGE_SUBJECT_TEACHERS = "materials.subjects.teachers.manage"  # teacher-subject assignments
VIEW_ENROLLMENTS = "materials.enrollments.view"  # the list, filtered by enrollment visibility
CREATE_ENROLLMENT = "materials.enrollments.create"  # who exactly: thebot.catalog.enrollments
VIEW_ENROLLMENT = "materials.enrollment.view"
EDIT_ENROLLMENT = "materials.enrollment.edit"
VIEW_STUDENT_DASHBOARD = "dashboard.student.view"
VIEW_TEACHER_DASHBOARD = "dashboard.teacher.view"
VIEW_TUTOR_DASHBOARD = "dashboard.tutor.view"
VIEW_PARENT_DASHBOARD = "dashboard.parent.view"

# materials: materials (granted by thebot.materials.materials.resources)
LIST_MATERIALS = "materials.materials.list"  # rows filtered by material visibility
CREATE_MATERIAL = "materials.materials.create"  # the subject is checked by the service
VIEW_MATERIAL = "materials.material.view"
EDIT_MATERIAL = "materials.material.edit"
DELETE_MATERIAL = "materials.material.delete"
ASSIGN_MATERIAL = "materials.material.assign"
VIEW_PROGRESS = "materials.progress.view"  # rows filtered by who sees the student
RECORD_PROGRESS = "materials.progress.record"  # a student, their own progress
VIEW_COMMENTS = "materials.comments.view"
ADD_COMMENT = "materials.comments.add"
DELETE_COMMENT = "materials.comment.delete"
MODERATE_COMMENT = "materials.comment.moderate"
VIEW_SUBMISSIONS = "materials.submissions.view"  # rows filtered by submission visibility
SUBMIT_MATERIAL = "materials.submissions.create"
REVIEW_SUBMISSION = "materials.submission.review"

# materials: media (granted by thebot.media.resources)
VIEW_MEDIA = "materials.media.view"  # GET /media/{path}: whoever may see the file's owner
UPLOAD_MATERIAL_FILE = "materials.material.upload_file"  # those who may edit the material
MANAGE_AVATAR = "accounts.user.avatar"  # upload or remove an avatar: the user and admins

# assignments: assignments, submissions, grades (thebot.assignments.assignments.resources)
LIST_ASSIGNMENTS = "assignments.list"  # rows filtered by assignment visibility
CREATE_ASSIGNMENT = "assignments.create"  # teachers, tutors, admins; the subject is checked
VIEW_ASSIGNMENT = "assignments.assignment.view"
EDIT_ASSIGNMENT = "assignments.assignment.edit"  # PATCH: author/admin
DELETE_ASSIGNMENT = "assignments.assignment.delete"  # author/admin (refused once submitted)
PUBLISH_ASSIGNMENT = "assignments.assignment.publish"  # publish and close: author/admin
CLONE_ASSIGNMENT = "assignments.assignment.clone"  # author, admin, the subject's teachers
VIEW_ASSIGNMENT_STATS = "assignments.assignment.stats"  # graders
VIEW_EXTENSIONS = "assignments.extensions.view"  # rows filtered to the caller's students
MANAGE_EXTENSIONS = "assignments.extensions.manage"  # graders
LIST_ASSIGNMENT_SUBMISSIONS = "assignments.submissions.list"  # rows filtered likewise
SUBMIT_ASSIGNMENT = "assignments.submissions.create"  # an assigned student
VIEW_ASSIGNMENT_SUBMISSION = "assignments.submission.view"
GRADE_SUBMISSION = "assignments.submission.grade"  # grade and return: graders

# assignments: reports (granted by thebot.assignments.reports.resources)
LIST_REPORTS = "assignments.reports.list"  # rows filtered by report visibility
CREATE_REPORT = "assignments.reports.create"  # teachers, tutors, admins; the student is checked
VIEW_REPORT = "assignments.report.view"
EDIT_REPORT = "assignments.report.edit"  # edit or refresh figures: author/admin, while draft
SEND_REPORT = "assignments.report.send"  # author/admin
ACKNOWLEDGE_REPORT = "assignments.report.acknowledge"  # a parent of the student
ARCHIVE_REPORT = "assignments.report.archive"  # author/admin

# scheduling: lessons (granted by thebot.scheduling.lessons.resources)
VIEW_LESSONS = "scheduling.lessons.view"  # the list: rows filtered by lesson visibility
BOOK_LESSONS = "scheduling.lessons.book"  # book, check conflicts: teachers, tutors, admins
VIEW_LESSON = "scheduling.lesson.view"
EDIT_LESSON = "scheduling.lesson.edit"  # PATCH and reschedule: teacher, student's tutor, admin
CONFIRM_LESSON = "scheduling.lesson.confirm"  # also the student and the student's parents
CANCEL_LESSON = "scheduling.lesson.cancel"  # the notice rule is checked by the service
COMPLETE_LESSON = "scheduling.lesson.complete"  # the lesson's teacher and admins
VIEW_LESSON_HISTORY = "scheduling.lesson.history"

# scheduling: series and calendar (granted by thebot.scheduling.series.views, calendar_views)
VIEW_SERIES_LIST = "scheduling.series.list"  # the list: rows filtered by who sees the lessons
CREATE_SERIES = "scheduling.series.create"  # teachers, tutors, admins; rules.validate_slot decides
VIEW_SERIES = "scheduling.series.view"
EDIT_SERIES = "scheduling.series.edit"  # the teacher, the student's tutor, admins
CANCEL_SERIES = "scheduling.series.cancel"  # same people; the notice rule is per lesson
MANAGE_CALENDAR_FEED = "scheduling.calendar_feed.manage"  # any signed-in user: their own token

MONITOR_PRINCIPAL = "system:monitor"
CSRF_HEADER = "X-CSRF-Token"


@dataclass
class Identity:
    """Who is calling: ``kind`` is ``user`` or ``monitor`` (the metrics token)."""

    kind: str
    user: Any = None
    principals: list[str] = field(default_factory=list)
    token: Any = None  # the AuthToken used, for refresh/logout
    session: Any = None  # the server-side session used (SessionData), for logout/CSRF

    @property
    def userid(self) -> str:
        return f"user:{self.user.id}" if self.user is not None else self.kind


def bearer_credentials(request: Any) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() in {"token", "bearer"} and credentials.strip():
        return credentials.strip()
    return None


def user_identity(user: Any, *, token: Any = None, session: Any = None) -> Identity:
    principals = [f"user:{user.id}", f"role:{user.role}"]
    return Identity(kind="user", user=user, principals=principals, token=token, session=session)


class SecurityPolicy:
    """Identity from the ``Authorization`` header, else the session cookie; ACLs decide."""

    def __init__(self, settings: dict[str, Any]):
        self.metrics_token = settings.get("metrics_token")
        self.helper = ACLHelper()

    def identity(self, request: Any) -> Identity | None:
        if not hasattr(request, "_thebot_identity"):
            request._thebot_identity = self._load_identity(request)
        return request._thebot_identity

    def _load_identity(self, request: Any) -> Identity | None:
        # A token wins: a request that sends one is judged by it alone (a bad token with a
        # good cookie stays anonymous rather than silently switching credentials). Other
        # schemes (Basic from a staging proxy) are not ours and leave the cookie in charge.
        credentials = bearer_credentials(request)
        if credentials:
            return self._token_identity(request, credentials)
        from thebot.accounts.auth.sessions import COOKIE_NAME

        key = request.cookies.get(COOKIE_NAME)
        return self._session_identity(request, key) if key else None

    def _token_identity(self, request: Any, credentials: str) -> Identity | None:
        if self.metrics_token and hmac.compare_digest(
            credentials.encode(), self.metrics_token.encode()
        ):
            return Identity(kind="monitor", principals=[MONITOR_PRINCIPAL])
        from thebot.accounts.auth.tokens import find_token

        token = find_token(request.dbsession, credentials)
        if token is None or not token.user.is_active:
            return None
        return user_identity(token.user, token=token)

    def _session_identity(self, request: Any, key: str) -> Identity | None:
        from thebot.accounts.auth.sessions import load_session
        from thebot.accounts.models import User

        data = load_session(request.registry, request.dbsession, key)
        if data is None:
            return None
        user = request.dbsession.get(User, data.user_id)
        if user is None or not user.is_active:
            return None
        return user_identity(user, session=data)

    def authenticated_userid(self, request: Any) -> str | None:
        identity = self.identity(request)
        return identity.userid if identity else None

    def effective_principals(self, request: Any) -> list[str]:
        principals = [Everyone]
        identity = self.identity(request)
        if identity is not None:
            if identity.kind == "user":
                principals.append(Authenticated)
            principals.extend(identity.principals)
        return principals

    def permits(self, request: Any, context: Any, permission: str) -> Any:
        return self.helper.permits(context, self.effective_principals(request), permission)

    def remember(self, request: Any, userid: Any, **kw: Any) -> list:
        return []

    def forget(self, request: Any, **kw: Any) -> list:
        return []


@implementer(ICSRFStoragePolicy)
class SessionCSRFPolicy:
    """CSRF tokens derived from the caller's server-side session (see accounts.sessions)."""

    def new_csrf_token(self, request: Any) -> str:
        # The token is a function of the session key: a new token means a new session.
        return self.get_csrf_token(request)

    def get_csrf_token(self, request: Any) -> str:
        from thebot.accounts.auth.sessions import csrf_token

        session = getattr(request.identity, "session", None)
        if session is None:
            return ""
        return csrf_token(request.registry.settings["secret_key"], session)

    def check_csrf_token(self, request: Any, supplied_token: str) -> bool:
        from thebot.accounts.auth.sessions import check_csrf_token

        session = getattr(request.identity, "session", None)
        if session is None:
            return False
        return check_csrf_token(request.registry.settings["secret_key"], session, supplied_token)


def cookie_authenticated(request: Any) -> bool:
    """CSRF applies only to callers identified by the session cookie, not by a token."""
    return getattr(request.identity, "session", None) is not None


def csrf_failed_view(exc: Exception, request: Any) -> Response:
    from thebot.errors import problem_response

    return problem_response(
        403,
        f"CSRF check failed: send the token from GET /api/auth/csrf/ in the {CSRF_HEADER} header.",
        request=request,
    )


class Root:
    """Default context: signed-in users, and system endpoints for admins and monitoring."""

    __acl__ = [
        (Allow, "role:admin", (VIEW_SYSTEM, MANAGE_SYSTEM, VIEW_AUDIT_LOG)),
        # Machine credentials see health, metrics, components and uptime: VIEW_SYSTEM only.
        (Allow, MONITOR_PRINCIPAL, VIEW_SYSTEM),
        (Allow, Authenticated, AUTHENTICATED),
        (Deny, Everyone, ALL_PERMISSIONS),
    ]

    def __init__(self, request: Any):
        self.request = request


def includeme(config: Any) -> None:
    settings = config.get_settings()
    config.set_security_policy(SecurityPolicy(settings))
    config.set_root_factory(Root)
    config.set_default_permission(DENY_ALL)
    # Browsers send Origin on unsafe requests; front ends on the CORS origins are trusted
    # (Pyramid defaults the setting to an empty list, hence no setdefault).
    if not settings.get("pyramid.csrf_trusted_origins"):
        settings["pyramid.csrf_trusted_origins"] = [
            urlsplit(o).netloc for o in settings.get("cors_allowed_origins", []) if "//" in o
        ]
    config.set_csrf_storage_policy(SessionCSRFPolicy())
    config.set_default_csrf_options(
        require_csrf=True,
        token=None,  # header only: bodies are JSON
        header=CSRF_HEADER,
        check_origin=True,
        allow_no_origin=True,  # the token is the defence; Origin is checked when sent
        callback=cookie_authenticated,
    )
    config.add_exception_view(csrf_failed_view, BadCSRFToken)
    config.add_exception_view(csrf_failed_view, BadCSRFOrigin)
