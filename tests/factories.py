"""factory_boy factories for the models; ``Session`` is bound per test (see conftest)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory

from thebot.accounts.models import ParentLink, StudentProfile, TeacherProfile, TutorProfile, User
from thebot.assignments.models import (
    Assignment,
    AssignmentAssignee,
    AssignmentExtension,
    AssignmentSubmission,
    Grade,
    RubricCriterion,
    StudentReport,
)
from thebot.materials.models import (
    Enrollment,
    Material,
    MaterialAssignment,
    MaterialComment,
    MaterialProgress,
    MaterialSubmission,
    MediaFile,
    Subject,
    SubmissionFeedback,
    TeacherSubject,
)
from thebot.scheduling.models import CalendarToken, Lesson, LessonReminder, LessonSeries


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session = None  # set by the ``dbsession`` fixture
        sqlalchemy_session_persistence = "flush"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    role = "student"
    is_active = True
    is_staff = factory.LazyAttribute(lambda o: o.role == "admin")


class StudentProfileFactory(BaseFactory):
    class Meta:
        model = StudentProfile

    user = factory.SubFactory(UserFactory, role="student")
    grade = 7


class TeacherProfileFactory(BaseFactory):
    class Meta:
        model = TeacherProfile

    user = factory.SubFactory(UserFactory, role="teacher")
    experience_years = 5
    bio = "Teaches well."


class TutorProfileFactory(BaseFactory):
    class Meta:
        model = TutorProfile

    user = factory.SubFactory(UserFactory, role="tutor")
    specialization = "Exam preparation"
    experience_years = 3
    bio = "Patient tutor."


class ParentLinkFactory(BaseFactory):
    class Meta:
        model = ParentLink

    student = factory.SubFactory(UserFactory, role="student")
    parent = factory.SubFactory(UserFactory, role="parent")


class MediaFileFactory(BaseFactory):
    """A ``MediaFile`` row only: write its bytes with ``tests/materials`` helpers."""

    class Meta:
        model = MediaFile

    kind = "material"
    storage_name = factory.Sequence(lambda n: f"material/00/00/{n:032x}.pdf")
    original_name = "lesson.pdf"
    content_type = "application/pdf"
    size = 0
    sha256 = "0" * 64
    owner_type = "material"
    owner_id = 0


ALL_FACTORIES = [
    UserFactory,
    StudentProfileFactory,
    TeacherProfileFactory,
    TutorProfileFactory,
    ParentLinkFactory,
    MediaFileFactory,
]


class SubjectFactory(BaseFactory):
    class Meta:
        model = Subject

    name = factory.Sequence(lambda n: f"Subject {n}")
    description = ""
    color = "#4a90d9"


class TeacherSubjectFactory(BaseFactory):
    """An active assignment of a teacher to a subject."""

    class Meta:
        model = TeacherSubject

    teacher_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    is_active = True


class EnrollmentFactory(BaseFactory):
    """An active enrollment (the teacher is not assigned to the subject unless you do it)."""

    class Meta:
        model = Enrollment

    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    teacher_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    status = "active"


ALL_FACTORIES += [SubjectFactory, TeacherSubjectFactory, EnrollmentFactory]


class StudentReportFactory(BaseFactory):
    """A draft progress report (figures empty: the service computes real ones)."""

    class Meta:
        model = StudentReport

    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    author_id = factory.LazyFunction(lambda: UserFactory(role="tutor").id)
    type = "progress"
    period_start = factory.LazyFunction(lambda: dt.date(2026, 3, 2))
    period_end = factory.LazyFunction(lambda: dt.date(2026, 3, 8))
    summary = "Steady progress."
    figures = factory.LazyFunction(dict)
    show_to_parent = True
    status = "draft"
    is_weekly_draft = False


ALL_FACTORIES += [StudentReportFactory]


class MaterialFactory(BaseFactory):
    """A draft lesson (``status="active"`` also publishes it); author and subject are new
    ones unless given as ``author_id`` / ``subject_id``."""

    class Meta:
        model = Material

    title = factory.Sequence(lambda n: f"Material {n}")
    content = "Read this and answer the questions."
    author_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    type = "lesson"
    status = "draft"
    published_at = factory.LazyAttribute(
        lambda o: dt.datetime.now(dt.timezone.utc) if o.status == "active" else None
    )
    is_public = False
    tags = factory.LazyFunction(list)
    difficulty = 1


class MaterialAssignmentFactory(BaseFactory):
    class Meta:
        model = MaterialAssignment

    material_id = factory.LazyFunction(lambda: MaterialFactory().id)
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)


class MaterialProgressFactory(BaseFactory):
    class Meta:
        model = MaterialProgress

    material_id = factory.LazyFunction(lambda: MaterialFactory(status="active").id)
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    percentage = 0
    is_completed = factory.LazyAttribute(lambda o: o.percentage >= 100)
    completed_at = factory.LazyAttribute(
        lambda o: dt.datetime.now(dt.timezone.utc) if o.percentage >= 100 else None
    )
    time_spent_seconds = 0


class MaterialCommentFactory(BaseFactory):
    """A top-level comment unless ``parent_id`` and ``depth`` are given."""

    class Meta:
        model = MaterialComment

    material_id = factory.LazyFunction(lambda: MaterialFactory(status="active").id)
    author_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    parent_id = None
    depth = 1
    body = factory.Sequence(lambda n: f"Comment {n}")
    is_flagged = False


class MaterialSubmissionFactory(BaseFactory):
    class Meta:
        model = MaterialSubmission

    material_id = factory.LazyFunction(
        lambda: MaterialFactory(status="active", type="homework").id
    )
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    text = "My answer."
    status = "submitted"


class SubmissionFeedbackFactory(BaseFactory):
    class Meta:
        model = SubmissionFeedback

    submission_id = factory.LazyFunction(lambda: MaterialSubmissionFactory().id)
    teacher_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    grade = 5
    text = "Well done."
    status = "reviewed"


ALL_FACTORIES += [
    MaterialFactory,
    MaterialAssignmentFactory,
    MaterialProgressFactory,
    MaterialCommentFactory,
    MaterialSubmissionFactory,
    SubmissionFeedbackFactory,
]


def _tomorrow_at_three() -> dt.datetime:
    tomorrow = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    return tomorrow.replace(hour=15, minute=0, second=0, microsecond=0)


class LessonFactory(BaseFactory):
    """A pending lesson tomorrow 15:00-16:00 UTC; teacher, student and subject are new ones
    unless given as ``teacher_id`` / ``student_id`` / ``subject_id`` (no enrollment made)."""

    class Meta:
        model = Lesson

    teacher_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    start_at = factory.LazyFunction(_tomorrow_at_three)
    end_at = factory.LazyAttribute(lambda o: o.start_at + dt.timedelta(hours=1))
    timezone = "UTC"
    description = ""
    notes = ""
    status = "pending"
    sequence = 0


ALL_FACTORIES += [LessonFactory]


def _in_a_week() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=7)


class AssignmentFactory(BaseFactory):
    """A published homework out of 100, due in a week, one attempt, no late work; author
    and subject are new ones unless given as ``author_id`` / ``subject_id`` (no teacher-
    subject assignment is made, nor any assignee)."""

    class Meta:
        model = Assignment

    title = factory.Sequence(lambda n: f"Assignment {n}")
    instructions = "Solve exercises 1-10."
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    author_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    type = "homework"
    status = "published"
    max_score = Decimal("100")
    start_at = None
    due_at = factory.LazyFunction(_in_a_week)
    attempts_limit = 1
    assign_to_subject = False
    allow_late = False
    late_deadline = None
    penalty_type = None
    penalty_value = Decimal("0")
    penalty_frequency = None
    max_penalty = None
    published_at = factory.LazyAttribute(
        lambda o: None if o.status == "draft" else dt.datetime.now(dt.timezone.utc)
    )


class RubricCriterionFactory(BaseFactory):
    class Meta:
        model = RubricCriterion

    assignment_id = factory.LazyFunction(lambda: AssignmentFactory().id)
    position = factory.Sequence(lambda n: n)
    name = factory.Sequence(lambda n: f"Criterion {n}")
    description = ""
    max_points = Decimal("10")


class AssignmentAssigneeFactory(BaseFactory):
    class Meta:
        model = AssignmentAssignee

    assignment_id = factory.LazyFunction(lambda: AssignmentFactory().id)
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)


class AssignmentExtensionFactory(BaseFactory):
    class Meta:
        model = AssignmentExtension

    assignment_id = factory.LazyFunction(lambda: AssignmentFactory().id)
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    due_at = factory.LazyFunction(lambda: _in_a_week() + dt.timedelta(days=3))
    late_deadline = None
    reason = "Ill for three days."


class AssignmentSubmissionFactory(BaseFactory):
    """Attempt 1, on time, counted, waiting for a grade."""

    class Meta:
        model = AssignmentSubmission

    assignment_id = factory.LazyFunction(lambda: AssignmentFactory().id)
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    attempt = 1
    text = "My answers."
    status = "submitted"
    submitted_at = factory.LazyFunction(lambda: dt.datetime.now(dt.timezone.utc))
    is_late = False
    lateness_seconds = 0
    counts = True


class GradeFactory(BaseFactory):
    """A grade without penalty (set ``penalty`` and ``final_score`` together)."""

    class Meta:
        model = Grade

    submission_id = factory.LazyFunction(lambda: AssignmentSubmissionFactory().id)
    grader_id = None
    raw_score = Decimal("80")
    penalty = Decimal("0")
    final_score = factory.LazyAttribute(lambda o: o.raw_score - o.penalty)
    feedback = ""
    rubric_scores = factory.LazyFunction(dict)


ALL_FACTORIES += [
    AssignmentFactory,
    RubricCriterionFactory,
    AssignmentAssigneeFactory,
    AssignmentExtensionFactory,
    AssignmentSubmissionFactory,
    GradeFactory,
]


# scheduling: series, reminders, calendar feeds


class LessonSeriesFactory(BaseFactory):
    """A weekly series of 4 lessons on Mondays 15:00 Europe/Moscow from 2026-12-07; no lesson
    rows are made (``thebot.scheduling.series.create_series`` materialises them)."""

    class Meta:
        model = LessonSeries

    teacher_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    rrule = "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    start_local = dt.datetime(2026, 12, 7, 15, 0)
    timezone = "Europe/Moscow"
    duration_minutes = 60
    exdates = factory.LazyFunction(list)
    description = ""
    is_active = True


class LessonReminderFactory(BaseFactory):
    class Meta:
        model = LessonReminder

    lesson_id = factory.LazyFunction(lambda: LessonFactory().id)
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    offset_minutes = 60


def _token_hash(token: str) -> str:
    from thebot.scheduling.calendar import hash_token

    return hash_token(token)


class CalendarTokenFactory(BaseFactory):
    """A live token row; its clear value is ``token`` (pass your own to know it)."""

    class Meta:
        model = CalendarToken
        exclude = ("token",)

    token = factory.Sequence(lambda n: f"calendar-token-{n:04d}-{'x' * 32}")
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    token_hash = factory.LazyAttribute(lambda o: _token_hash(o.token))
    revoked_at = None


ALL_FACTORIES += [LessonSeriesFactory, LessonReminderFactory, CalendarTokenFactory]


@contextlib.contextmanager
def factories_bound_to(session: Any) -> Iterator[Any]:
    """The factories create their rows in ``session`` (the ``dbsession`` fixture uses it;
    tests on a database of their own use it with their own sessions)."""
    for factory_ in ALL_FACTORIES:
        factory_._meta.sqlalchemy_session = session
    try:
        yield session
    finally:
        for factory_ in ALL_FACTORIES:
            factory_._meta.sqlalchemy_session = None
