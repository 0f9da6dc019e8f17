"""factory_boy factories for the models; ``Session`` is bound per test (see conftest)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory

from thebot.accounts.models import (
    AuthToken,
    PairingCode,
    ParentLink,
    PasswordResetToken,
    ServerSession,
    StudentProfile,
    TeacherProfile,
    TutorProfile,
    User,
)
from thebot.assignments.models import (
    Assignment,
    AssignmentAssignee,
    AssignmentExtension,
    AssignmentSubmission,
    AssignmentSubmissionFile,
    AttemptStart,
    Grade,
    RubricCriterion,
    StudentReport,
)
from thebot.audit import AuditEvent
from thebot.backups.models import Backup, ChangeLogEntry
from thebot.catalog.models import Enrollment, Subject, TeacherSubject
from thebot.chat.models import ChatMember, ChatMessage, ChatRoom
from thebot.materials.models import (
    Material,
    MaterialAssignment,
    MaterialComment,
    MaterialProgress,
    MaterialSubmission,
    SubmissionFeedback,
    SubmissionFile,
)
from thebot.media.models import MediaFile
from thebot.notifications.models import Notification, NotificationPreference
from thebot.scheduling.models import (
    CalendarToken,
    Lesson,
    LessonHistory,
    LessonReminder,
    LessonSeries,
)
from thebot.system.models import HealthCheck, Heartbeat
from thebot.tasks.outbox import OutboxMessage, ProcessedMessage


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
    """A ``MediaFile`` row only: write its bytes with ``tests/media`` helpers."""

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
    rows are made (``thebot.scheduling.series.service.create_series`` materialises them)."""

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
    from thebot.scheduling.calendar.service import hash_token

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


# credentials: API tokens, browser sessions, password reset tokens, pairing codes.
# Each keeps its clear value in an excluded ``key``/``token``/``code`` (pass your own to know
# it); only its SHA-256 is stored, as the app does.


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class AuthTokenFactory(BaseFactory):
    """A live API token for a day."""

    class Meta:
        model = AuthToken
        exclude = ("key",)

    key = factory.Sequence(lambda n: f"api-key-{n:06d}")
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    key_hash = factory.LazyAttribute(lambda o: _sha256(o.key))
    expires_at = factory.LazyFunction(lambda: _now() + dt.timedelta(days=1))
    revoked_at = None


class ServerSessionFactory(BaseFactory):
    """A live browser session (database store) for a day."""

    class Meta:
        model = ServerSession
        exclude = ("key",)

    key = factory.Sequence(lambda n: f"session-key-{n:06d}")
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    key_hash = factory.LazyAttribute(lambda o: _sha256(o.key))
    expires_at = factory.LazyFunction(lambda: _now() + dt.timedelta(days=1))
    last_seen_at = factory.LazyFunction(_now)


class PasswordResetTokenFactory(BaseFactory):
    """An unused reset token, valid for the hour."""

    class Meta:
        model = PasswordResetToken
        exclude = ("token",)

    token = factory.Sequence(lambda n: f"reset-token-{n:06d}")
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    token_hash = factory.LazyAttribute(lambda o: _sha256(o.token))
    expires_at = factory.LazyFunction(lambda: _now() + dt.timedelta(hours=1))
    used_at = None


def _pairing_hash(code: str) -> str:
    from thebot.accounts.relationships.service import hash_code

    return hash_code(code)


class PairingCodeFactory(BaseFactory):
    """An unused code for a student, valid for a day."""

    class Meta:
        model = PairingCode
        exclude = ("code",)

    code = factory.Sequence(lambda n: f"PAIR{n:04d}")
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    code_hash = factory.LazyAttribute(lambda o: _pairing_hash(o.code))
    created_by_id = None
    expires_at = factory.LazyFunction(lambda: _now() + dt.timedelta(days=1))
    used_at = None


ALL_FACTORIES += [
    AuthTokenFactory,
    ServerSessionFactory,
    PasswordResetTokenFactory,
    PairingCodeFactory,
]


# notifications, audit, health


class NotificationFactory(BaseFactory):
    """An unread in-app notification."""

    class Meta:
        model = Notification

    user_id = factory.LazyFunction(lambda: UserFactory().id)
    kind = "lesson_created"
    title = factory.Sequence(lambda n: f"Notification {n}")
    body = ""
    data = factory.LazyFunction(dict)
    read_at = None


class NotificationPreferenceFactory(BaseFactory):
    """Defaults for every kind (``channels`` empty), UTC, no quiet hours."""

    class Meta:
        model = NotificationPreference

    user_id = factory.LazyFunction(lambda: UserFactory().id)
    channels = factory.LazyFunction(dict)
    timezone = "UTC"


class AuditEventFactory(BaseFactory):
    class Meta:
        model = AuditEvent

    actor_id = None
    action = "login_succeeded"
    details = factory.LazyFunction(dict)


class HealthCheckFactory(BaseFactory):
    class Meta:
        model = HealthCheck

    status = "ok"
    response_ms = 1.0
    components = factory.LazyFunction(dict)


ALL_FACTORIES += [
    NotificationFactory,
    NotificationPreferenceFactory,
    AuditEventFactory,
    HealthCheckFactory,
]


# history and files of lessons, materials and assignments


class LessonHistoryFactory(BaseFactory):
    class Meta:
        model = LessonHistory

    lesson_id = factory.LazyFunction(lambda: LessonFactory().id)
    action = "created"
    actor_id = None
    old_values = factory.LazyFunction(dict)
    new_values = factory.LazyFunction(dict)


class SubmissionFileFactory(BaseFactory):
    class Meta:
        model = SubmissionFile

    submission_id = factory.LazyFunction(lambda: MaterialSubmissionFactory().id)
    file_id = factory.LazyFunction(lambda: MediaFileFactory(kind="submission").id)


class AttemptStartFactory(BaseFactory):
    """Attempt 1 of a timed assignment, opened now, due in an hour."""

    class Meta:
        model = AttemptStart

    assignment_id = factory.LazyFunction(lambda: AssignmentFactory().id)
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    attempt = 1
    started_at = factory.LazyFunction(_now)
    deadline_at = factory.LazyAttribute(lambda o: o.started_at + dt.timedelta(hours=1))


class AssignmentSubmissionFileFactory(BaseFactory):
    class Meta:
        model = AssignmentSubmissionFile

    submission_id = factory.LazyFunction(lambda: AssignmentSubmissionFactory().id)
    file_id = factory.LazyFunction(lambda: MediaFileFactory(kind="submission").id)


ALL_FACTORIES += [
    LessonHistoryFactory,
    SubmissionFileFactory,
    AttemptStartFactory,
    AssignmentSubmissionFileFactory,
]


# backups and the outbox (machinery tables)


class BackupFactory(BaseFactory):
    """A completed full backup at a path that does not exist (pass ``path`` for a real one)."""

    class Meta:
        model = Backup

    uuid = factory.Sequence(lambda n: f"{n:032x}")
    type = "full"
    origin = "manual"
    status = "completed"
    progress = 100
    path = factory.LazyAttribute(lambda o: f"/nonexistent/{o.uuid}.tar")


class ChangeLogEntryFactory(BaseFactory):
    """A captured change; on SQLite/PostgreSQL the triggers write these too."""

    class Meta:
        model = ChangeLogEntry

    table_name = "user_account"
    op = "U"
    pk = "[1]"
    txid = None


class OutboxMessageFactory(BaseFactory):
    """A waiting message for ``actor`` (a dramatiq ``Message.asdict()`` shape)."""

    class Meta:
        model = OutboxMessage

    message_id = factory.Sequence(lambda n: f"outbox-message-{n:06d}")
    actor = "send_notification_email"
    message = factory.LazyAttribute(
        lambda o: {
            "queue_name": "default",
            "actor_name": o.actor,
            "args": [],
            "kwargs": {},
            "options": {},
            "message_id": o.message_id,
            "message_timestamp": 0,
        }
    )
    due_at = None


class ProcessedMessageFactory(BaseFactory):
    class Meta:
        model = ProcessedMessage

    message_id = factory.Sequence(lambda n: f"processed-message-{n:06d}")
    actor = "send_notification_email"


ALL_FACTORIES += [
    BackupFactory,
    ChangeLogEntryFactory,
    OutboxMessageFactory,
    ProcessedMessageFactory,
]


class ChatRoomFactory(BaseFactory):
    """A group room (make direct and subject rooms through the chat services)."""

    class Meta:
        model = ChatRoom

    type = "group"
    name = factory.Sequence(lambda n: f"Group {n}")


class ChatMemberFactory(BaseFactory):
    class Meta:
        model = ChatMember

    room_id = factory.LazyFunction(lambda: ChatRoomFactory().id)
    user_id = factory.LazyFunction(lambda: UserFactory().id)
    role = "member"


class ChatMessageFactory(BaseFactory):
    class Meta:
        model = ChatMessage

    room_id = factory.LazyFunction(lambda: ChatRoomFactory().id)
    author_id = factory.LazyFunction(lambda: UserFactory().id)
    text = factory.Sequence(lambda n: f"Message {n}")


ALL_FACTORIES += [ChatRoomFactory, ChatMemberFactory, ChatMessageFactory]


# --- payments (thebot.payments) ---------------------------------------------------------

from thebot.payments.invoices.models import Invoice, InvoiceLine, InvoiceReminder  # noqa: E402
from thebot.payments.ledger.models import LedgerEntry  # noqa: E402
from thebot.payments.payments.models import Payment, Refund  # noqa: E402
from thebot.payments.prices.models import Price  # noqa: E402
from thebot.payments.providers.models import SandboxObject  # noqa: E402
from thebot.payments.subscriptions.models import Subscription  # noqa: E402


class InvoiceFactory(BaseFactory):
    class Meta:
        model = Invoice

    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    issuer_id = factory.LazyFunction(lambda: UserFactory(role="tutor").id)
    payee_id = factory.LazyAttribute(lambda o: o.issuer_id)
    status = "sent"
    total = Decimal("5000.00")
    currency = "RUB"
    due_date = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=7))


class InvoiceLineFactory(BaseFactory):
    class Meta:
        model = InvoiceLine

    invoice_id = factory.LazyFunction(lambda: InvoiceFactory().id)
    description = "Lesson"
    quantity = 1
    unit_price = Decimal("5000.00")
    amount = Decimal("5000.00")


class InvoiceReminderFactory(BaseFactory):
    class Meta:
        model = InvoiceReminder

    invoice_id = factory.LazyFunction(lambda: InvoiceFactory().id)
    days = 3


class PriceFactory(BaseFactory):
    class Meta:
        model = Price

    kind = "package"
    title = factory.Sequence(lambda n: f"Package {n}")
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    amount = Decimal("8000.00")
    currency = "RUB"
    lessons = 8
    period_days = None


class PaymentFactory(BaseFactory):
    class Meta:
        model = Payment

    purpose = "invoice"
    status = "pending"
    amount = Decimal("5000.00")
    currency = "RUB"
    payer_id = factory.LazyFunction(lambda: UserFactory(role="parent").id)
    provider = "sandbox"
    provider_payment_id = factory.Sequence(lambda n: f"sbx-factory-{n:06d}")
    idempotence_key = factory.Sequence(lambda n: f"thebot-payment-factory-{n:06d}")


class RefundFactory(BaseFactory):
    class Meta:
        model = Refund

    payment_id = factory.LazyFunction(lambda: PaymentFactory(status="succeeded").id)
    amount = Decimal("100.00")
    currency = "RUB"
    reason = "Factory refund"
    idempotence_key = factory.Sequence(lambda n: f"thebot-refund-factory-{n:06d}")


class LedgerEntryFactory(BaseFactory):
    class Meta:
        model = LedgerEntry

    kind = "adjustment"
    credits = 1
    student_id = factory.LazyFunction(lambda: UserFactory(role="student").id)
    note = "Factory adjustment"


class SandboxObjectFactory(BaseFactory):
    class Meta:
        model = SandboxObject

    id = factory.Sequence(lambda n: f"sbx-object-{n:06d}")
    kind = "payment"
    status = "pending"
    amount = Decimal("5000.00")
    currency = "RUB"
    idempotence_key = factory.Sequence(lambda n: f"sandbox-key-{n:06d}")


class SubscriptionFactory(BaseFactory):
    class Meta:
        model = Subscription

    enrollment_id = factory.LazyFunction(lambda: EnrollmentFactory().id)
    price_id = factory.LazyFunction(
        lambda: PriceFactory(kind="subscription", lessons=None, period_days=30).id
    )
    amount = Decimal("6000.00")
    currency = "RUB"
    period_days = 30


ALL_FACTORIES += [
    InvoiceFactory,
    InvoiceLineFactory,
    InvoiceReminderFactory,
    PriceFactory,
    PaymentFactory,
    RefundFactory,
    LedgerEntryFactory,
    SandboxObjectFactory,
    SubscriptionFactory,
]


# --- knowledge graph (thebot.knowledge) -------------------------------------------------

from thebot.knowledge.models import (  # noqa: E402
    Answer,
    Dependency,
    Element,
    ElementProgress,
    GraphNode,
    KnowledgeGraph,
    LessonElement,
    LessonProgress,
)
from thebot.knowledge.models import Lesson as KnowledgeLesson  # noqa: E402


class ElementFactory(BaseFactory):
    """A private theory element of a new subject and a new teacher (not assigned to the
    subject unless you do it); pass ``type`` with a matching ``content`` for others."""

    class Meta:
        model = Element

    type = "theory"
    title = factory.Sequence(lambda n: f"Element {n}")
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    author_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    difficulty = 3
    estimated_minutes = 5
    max_score = 1
    max_attempts = 3
    tags = factory.LazyFunction(list)
    shared = False
    content = factory.LazyFunction(lambda: {"markdown": "# Fractions\n\nA half is 1/2."})


class KnowledgeLessonFactory(BaseFactory):
    """A lesson without elements (add ``LessonElementFactory`` rows)."""

    class Meta:
        model = KnowledgeLesson

    title = factory.Sequence(lambda n: f"Knowledge lesson {n}")
    description = ""
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    author_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    shared = True


class LessonElementFactory(BaseFactory):
    """An element placed (required) in a lesson; both of one new subject by default."""

    class Meta:
        model = LessonElement

    lesson_id = factory.LazyFunction(lambda: KnowledgeLessonFactory().id)
    element_id = factory.LazyAttribute(
        lambda o: ElementFactory(subject_id=_lesson_subject(o.lesson_id)).id
    )
    position = factory.Sequence(lambda n: n)
    required = True


def _lesson_subject(lesson_id: int) -> int:
    session = KnowledgeLessonFactory._meta.sqlalchemy_session
    return session.get(KnowledgeLesson, lesson_id).subject_id


def _graph_subject(graph_id: int) -> int:
    session = KnowledgeGraphFactory._meta.sqlalchemy_session
    return session.get(KnowledgeGraph, graph_id).subject_id


class KnowledgeGraphFactory(BaseFactory):
    """An empty template of a new subject (``kind="student", student_id=...`` for a
    student graph: its states come from ``thebot.knowledge.states.refresh_graph``)."""

    class Meta:
        model = KnowledgeGraph

    kind = "template"
    title = factory.Sequence(lambda n: f"Path {n}")
    description = ""
    subject_id = factory.LazyFunction(lambda: SubjectFactory().id)
    author_id = factory.LazyFunction(lambda: UserFactory(role="teacher").id)
    student_id = None
    template_id = None
    version = 1


class GraphNodeFactory(BaseFactory):
    """A new lesson (of the graph's subject) placed in a graph."""

    class Meta:
        model = GraphNode

    graph_id = factory.LazyFunction(lambda: KnowledgeGraphFactory().id)
    lesson_id = factory.LazyAttribute(
        lambda o: KnowledgeLessonFactory(subject_id=_graph_subject(o.graph_id)).id
    )
    x = factory.Sequence(lambda n: 100 * n)
    y = 0
    source_node_id = None


def _node_in_same_graph(from_node_id: int) -> int:
    session = GraphNodeFactory._meta.sqlalchemy_session
    return GraphNodeFactory(graph_id=session.get(GraphNode, from_node_id).graph_id).id


class DependencyFactory(BaseFactory):
    """A required edge between two new nodes of one graph."""

    class Meta:
        model = Dependency

    from_node_id = factory.LazyFunction(lambda: GraphNodeFactory().id)
    to_node_id = factory.LazyAttribute(lambda o: _node_in_same_graph(o.from_node_id))
    graph_id = factory.LazyAttribute(
        lambda o: GraphNodeFactory._meta.sqlalchemy_session.get(GraphNode, o.from_node_id).graph_id
    )
    type = "required"
    min_score_percent = 0
    source_dependency_id = None


def _student_node() -> int:
    student = UserFactory(role="student")
    graph = KnowledgeGraphFactory(kind="student", student_id=student.id)
    return GraphNodeFactory(graph_id=graph.id).id


def _node(node_id: int) -> GraphNode:
    return GraphNodeFactory._meta.sqlalchemy_session.get(GraphNode, node_id)


def _graph_of_node(node_id: int) -> KnowledgeGraph:
    session = GraphNodeFactory._meta.sqlalchemy_session
    return session.get(KnowledgeGraph, _node(node_id).graph_id)


class LessonProgressFactory(BaseFactory):
    """An unlocked lesson of a new student graph (one row per node: pass ``node_id``)."""

    class Meta:
        model = LessonProgress

    node_id = factory.LazyFunction(_student_node)
    graph_id = factory.LazyAttribute(lambda o: _node(o.node_id).graph_id)
    student_id = factory.LazyAttribute(lambda o: _graph_of_node(o.node_id).student_id)
    state = "unlocked"
    score = 0
    max_score = 0
    unlocked_at = factory.LazyFunction(_now)


class ElementProgressFactory(BaseFactory):
    """A started element of a node of a new student graph (the element is a new one of the
    graph's subject, not placed in the node's lesson unless you do it)."""

    class Meta:
        model = ElementProgress

    node_id = factory.LazyFunction(_student_node)
    element_id = factory.LazyAttribute(
        lambda o: ElementFactory(subject_id=_graph_of_node(o.node_id).subject_id).id
    )
    student_id = factory.LazyAttribute(lambda o: _graph_of_node(o.node_id).student_id)
    state = "in_progress"
    score = 0
    attempts = 0
    watched_seconds = 0
    started_at = factory.LazyFunction(_now)


def _element_progress(progress_id: int) -> ElementProgress:
    return ElementProgressFactory._meta.sqlalchemy_session.get(ElementProgress, progress_id)


class AnswerFactory(BaseFactory):
    """A text answer (attempt 1) waiting for a teacher's grade."""

    class Meta:
        model = Answer

    progress_id = factory.LazyFunction(
        lambda: (
            ElementProgressFactory(
                element_id=ElementFactory(type="text_problem", content={"statement": "Why?"}).id
            ).id
        )
    )
    student_id = factory.LazyAttribute(lambda o: _element_progress(o.progress_id).student_id)
    element_id = factory.LazyAttribute(lambda o: _element_progress(o.progress_id).element_id)
    attempt = 1
    answer = "Because."
    status = "pending"
    correct = None
    score = None
    feedback = ""


ALL_FACTORIES += [
    ElementFactory,
    KnowledgeLessonFactory,
    LessonElementFactory,
    KnowledgeGraphFactory,
    GraphNodeFactory,
    DependencyFactory,
    LessonProgressFactory,
    ElementProgressFactory,
    AnswerFactory,
]


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


class HeartbeatFactory(BaseFactory):
    """A live worker's last sign of life."""

    class Meta:
        model = Heartbeat

    instance = factory.Sequence(lambda n: f"instance-{n:06d}")
    kind = "worker"
    host = "worker-1"
    pid = factory.Sequence(lambda n: 1000 + n)
    queues = factory.LazyFunction(lambda: ["default"])
    state = "running"


ALL_FACTORIES.append(HeartbeatFactory)
