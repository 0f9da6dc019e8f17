"""Seed rows for the learning features: materials, scheduling, assignments and reports."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.assignments import models as work
from thebot.catalog import models as catalog
from thebot.materials import models as learning
from thebot.media import models as media
from thebot.scheduling import models as lessons

T0 = dt.datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=dt.timezone.utc)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def seed_learning(
    session: Session, *, teacher: User, student: User, other: User, tutor: User
) -> None:
    maths = catalog.Subject(name="Математика", description="Algebra", created_at=T0, updated_at=T0)
    physics = catalog.Subject(name="Physics", color="#000000", created_at=T0, updated_at=T0)
    session.add_all([maths, physics])
    session.flush()
    upload = media.MediaFile(
        kind="material",
        storage_name="materials/1/lesson.pdf",
        original_name="Урок 1.pdf",
        content_type="application/pdf",
        size=265,
        sha256=_hash("pdf"),
        uploaded_by_id=teacher.id,
        owner_type="material",
        owner_id=1,
        created_at=T0,
    )
    answer = media.MediaFile(
        kind="submission",
        storage_name="submissions/answer.png",
        content_type="image/png",
        size=10,
        sha256=_hash("png"),
        uploaded_by_id=None,
        owner_type="submission",
        owner_id=1,
        created_at=T0,
    )
    session.add_all(
        [
            upload,
            answer,
            catalog.TeacherSubject(teacher_id=teacher.id, subject_id=maths.id, created_at=T0),
            catalog.TeacherSubject(
                teacher_id=tutor.id, subject_id=physics.id, is_active=False, created_at=T0
            ),
            catalog.Enrollment(
                student_id=student.id,
                subject_id=maths.id,
                teacher_id=teacher.id,
                assigned_by_id=tutor.id,
                status="active",
                created_at=T0,
                updated_at=T0,
            ),
            catalog.Enrollment(
                student_id=other.id,
                subject_id=maths.id,
                teacher_id=teacher.id,
                custom_subject_name="Maths+",
                status="dropped",
                created_at=T0,
                updated_at=T0,
                ended_at=T0,
            ),
        ]
    )
    session.flush()
    lesson = learning.Material(
        title="Дроби",
        content="1/2 + 1/3",
        author_id=teacher.id,
        subject_id=maths.id,
        type="lesson",
        status="active",
        published_at=T0,
        file_id=upload.id,
        is_public=True,
        tags=["fractions", "7 класс"],
        difficulty=2,
        created_at=T0,
        updated_at=T0,
    )
    homework = learning.Material(
        title="Homework",
        author_id=teacher.id,
        subject_id=maths.id,
        type="homework",
        tags=[],
        video_url="https://v.example/1",
        created_at=T0,
        updated_at=T0,
    )
    session.add_all([lesson, homework])
    session.flush()
    root = learning.MaterialComment(
        material_id=lesson.id, author_id=student.id, body="Вопрос?", created_at=T0, updated_at=T0
    )
    session.add(root)
    session.flush()
    reply = learning.MaterialComment(
        material_id=lesson.id,
        author_id=teacher.id,
        parent_id=root.id,
        depth=2,
        body="Ответ",
        created_at=T0,
        updated_at=T0,
    )
    session.add(reply)
    session.flush()
    submission = learning.MaterialSubmission(
        material_id=homework.id,
        student_id=student.id,
        text="My answer",
        submitted_at=T0,
        updated_at=T0,
    )
    session.add_all(
        [
            learning.MaterialComment(
                material_id=lesson.id,
                author_id=other.id,
                parent_id=reply.id,
                depth=3,
                body="+1",
                is_flagged=True,
                created_at=T0,
                updated_at=T0,
                deleted_at=T0,
            ),
            learning.MaterialAssignment(
                material_id=lesson.id,
                student_id=student.id,
                assigned_by_id=teacher.id,
                created_at=T0,
            ),
            learning.MaterialAssignment(
                material_id=homework.id, student_id=other.id, created_at=T0
            ),
            learning.MaterialProgress(
                material_id=lesson.id,
                student_id=student.id,
                percentage=100,
                is_completed=True,
                completed_at=T0,
                time_spent_seconds=600,
                last_accessed_at=T0,
                created_at=T0,
            ),
            submission,
        ]
    )
    session.flush()
    session.add_all(
        [
            learning.SubmissionFile(submission_id=submission.id, file_id=answer.id),
            learning.SubmissionFeedback(
                submission_id=submission.id,
                teacher_id=teacher.id,
                grade=5,
                text="Отлично",
                status="reviewed",
                created_at=T0,
            ),
        ]
    )
    session.flush()
    seed_scheduling(session, teacher=teacher, student=student, subject=maths)
    seed_assignments(session, teacher=teacher, student=student, subject=maths, upload=answer)


def seed_scheduling(session: Session, *, teacher: User, student: User, subject: object) -> None:
    series = lessons.LessonSeries(
        teacher_id=teacher.id,
        student_id=student.id,
        subject_id=subject.id,
        rrule="FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10",
        start_local=dt.datetime(2026, 12, 1, 15, 0),  # a naive local time (no offset)
        timezone="Europe/Moscow",
        duration_minutes=60,
        exdates=["2026-12-08T15:00:00"],
        description="Еженедельно",
        meeting_link=None,
        created_by_id=teacher.id,
        created_at=T0,
        updated_at=T0,
    )
    session.add(series)
    session.flush()
    first = lessons.Lesson(
        teacher_id=teacher.id,
        student_id=student.id,
        subject_id=subject.id,
        start_at=T0 + dt.timedelta(days=3),
        end_at=T0 + dt.timedelta(days=3, hours=1),
        timezone="Europe/Moscow",
        status="confirmed",
        series_id=series.id,
        occurrence_start=T0 + dt.timedelta(days=3),
        sequence=2,
        created_by_id=teacher.id,
        meeting_link="https://meet.example/abc",
        created_at=T0,
        updated_at=T0,
    )
    single = lessons.Lesson(
        teacher_id=teacher.id,
        student_id=student.id,
        subject_id=subject.id,
        start_at=T0 + dt.timedelta(days=5),
        end_at=T0 + dt.timedelta(days=5, minutes=45),
        status="cancelled",
        cancel_reason="Болезнь",
        enrollment_override=True,
        created_at=T0,
        updated_at=T0,
    )
    session.add_all([first, single])
    session.flush()
    session.add_all(
        [
            lessons.LessonHistory(
                lesson_id=first.id,
                action="confirm",
                actor_id=teacher.id,
                old_values={"status": "pending"},
                new_values={"status": "confirmed"},
                created_at=T0,
            ),
            lessons.LessonReminder(
                lesson_id=first.id, user_id=student.id, offset_minutes=60, sent_at=T0
            ),
            lessons.CalendarToken(
                user_id=teacher.id, token_hash=_hash("calendar"), created_at=T0, revoked_at=None
            ),
        ]
    )
    session.flush()


def seed_assignments(
    session: Session, *, teacher: User, student: User, subject: object, upload: object
) -> None:
    original = work.Assignment(
        title="Quadratics",
        instructions="Solve 1-10",
        subject_id=subject.id,
        author_id=teacher.id,
        type="homework",
        status="published",
        max_score=Decimal("100"),
        due_at=T0 + dt.timedelta(days=7),
        allow_late=True,
        late_deadline=T0 + dt.timedelta(days=9),
        penalty_type="percentage",
        penalty_value=Decimal("12.50"),
        penalty_frequency="per_day",
        max_penalty=Decimal("50.00"),
        published_at=T0,
        created_at=T0,
        updated_at=T0,
    )
    session.add(original)
    session.flush()
    copy = work.Assignment(
        title="Quadratics (copy)",
        subject_id=subject.id,
        author_id=teacher.id,
        type="test",
        max_score=Decimal("20.5"),
        due_at=T0 + dt.timedelta(days=14),
        attempts_limit=3,
        time_limit_minutes=45,
        cloned_from_id=original.id,
        created_at=T0,
        updated_at=T0,
    )
    session.add(copy)
    session.flush()
    submission = work.AssignmentSubmission(
        assignment_id=original.id,
        student_id=student.id,
        attempt=1,
        text="x = ±2",
        status="graded",
        submitted_at=T0 + dt.timedelta(days=8),
        is_late=True,
        lateness_seconds=86400,
        counts=True,
        updated_at=T0,
    )
    session.add_all(
        [
            submission,
            work.RubricCriterion(
                assignment_id=original.id, position=1, name="Method", max_points=Decimal("60")
            ),
            work.RubricCriterion(
                assignment_id=original.id,
                position=2,
                name="Answer",
                description="Exact",
                max_points=Decimal("40"),
            ),
            work.AssignmentAssignee(assignment_id=original.id, student_id=student.id),
            work.AttemptStart(
                assignment_id=original.id,
                student_id=student.id,
                attempt=1,
                started_at=T0 + dt.timedelta(days=8) - dt.timedelta(minutes=40),
                deadline_at=T0 + dt.timedelta(days=8) + dt.timedelta(minutes=5),
            ),
            work.AssignmentExtension(
                assignment_id=copy.id,
                student_id=student.id,
                due_at=T0 + dt.timedelta(days=20),
                reason="Trip",
                granted_by_id=teacher.id,
                created_at=T0,
            ),
            work.StudentReport(
                student_id=student.id,
                author_id=teacher.id,
                type="progress",
                period_start=dt.date(2026, 11, 23),
                period_end=dt.date(2026, 11, 29),
                summary="Хорошо",
                figures={"average": "87.50", "lessons": 4},
                status="sent",
                sent_at=T0,
                created_at=T0,
                updated_at=T0,
            ),
        ]
    )
    session.flush()
    session.add_all(
        [
            work.AssignmentSubmissionFile(submission_id=submission.id, file_id=upload.id),
            work.Grade(
                submission_id=submission.id,
                grader_id=teacher.id,
                raw_score=Decimal("95.00"),
                penalty=Decimal("11.88"),
                final_score=Decimal("83.12"),
                feedback="Good",
                rubric_scores={"1": "57", "2": "38"},
                graded_at=T0,
            ),
        ]
    )
    session.flush()
