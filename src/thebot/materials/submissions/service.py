"""Submissions on homework materials, and the feedback on them.

- Only homework takes submissions (400 for other types). One submission per (material,
  student): a second is a 409, unless the first was returned, in which case the new one
  replaces its text and files and the status goes back to ``submitted``.
- A submission holds text and/or files (at least one of them).
- Status: ``submitted`` -> ``reviewed`` | ``returned``, by feedback (grade 1-5 and text)
  from a reviewer (``visibility.can_review``); feedback on a submission that is not waiting
  for it is a 409. Every feedback is kept; the latest decides the status.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.accounts.users.service import brief
from thebot.catalog.subjects import users_by_id
from thebot.db import utcnow
from thebot.errors import Conflict, Invalid, field_error
from thebot.events import record
from thebot.materials import visibility
from thebot.materials.events import SubmissionMade, SubmissionReviewed
from thebot.materials.models import (
    Material,
    MaterialSubmission,
    MaterialType,
    SubmissionFeedback,
    SubmissionFile,
    SubmissionStatus,
)
from thebot.media.models import MediaFile
from thebot.media.service import media_payload
from thebot.schemas import iso

SUBMITTED = SubmissionStatus.SUBMITTED.value
RETURNED = SubmissionStatus.RETURNED.value


def check_homework(material: Material) -> None:
    if material.type != MaterialType.HOMEWORK.value:
        raise Invalid(
            detail=f"Only homework takes submissions; this material is a {material.type}.",
            errors=[field_error("material", "Not a homework material", location="path")],
        )


def check_content(text: str, file_count: int) -> None:
    if not text.strip() and not file_count:
        raise Invalid(
            detail="A submission needs text, files, or both.",
            errors=[
                field_error("text", "Write an answer or attach files"),
                field_error("files", "Write an answer or attach files"),
            ],
        )


def submit(
    dbsession: Session, student: User, material: Material, text: str, *, file_count: int
) -> tuple[MaterialSubmission, bool, list[MediaFile]]:
    """The student's submission, whether it is new, and the files a resubmission replaced.

    The caller attaches the new files (``attach_file``) once the submission has its id, and
    discards the replaced ones (``thebot.media.service.discard_media``).
    """
    check_homework(material)
    check_content(text, file_count)
    existing = dbsession.execute(
        select(MaterialSubmission)
        .where(
            MaterialSubmission.material_id == material.id,
            MaterialSubmission.student_id == student.id,
        )
        .with_for_update()
    ).scalar_one_or_none()
    if existing is not None:
        if existing.status != RETURNED:
            raise _already_submitted()
        replaced = list(
            dbsession.scalars(
                select(MediaFile)
                .join(SubmissionFile, SubmissionFile.file_id == MediaFile.id)
                .where(SubmissionFile.submission_id == existing.id)
            )
        )
        existing.text = text
        existing.status = SUBMITTED
        existing.submitted_at = utcnow()
        dbsession.execute(
            delete(SubmissionFile).where(SubmissionFile.submission_id == existing.id)
        )
        dbsession.flush()
        submitted(dbsession, student, material)
        return existing, False, replaced
    submission = MaterialSubmission(
        material_id=material.id, student_id=student.id, text=text, status=SUBMITTED
    )
    try:
        with dbsession.begin_nested():
            dbsession.add(submission)
            dbsession.flush()
    except IntegrityError as exc:  # a concurrent first submission won
        raise _already_submitted() from exc
    submitted(dbsession, student, material)
    return submission, True, []


def submitted(dbsession: Session, student: User, material: Material) -> None:
    record(dbsession, SubmissionMade(student_ids=(student.id,), material_ids=(material.id,)))


ALREADY_SUBMITTED = (
    "You have already submitted this homework; it can be submitted again once returned."
)


def _already_submitted() -> Conflict:
    return Conflict(ALREADY_SUBMITTED, errors=[field_error("material", ALREADY_SUBMITTED)])


def attach_file(dbsession: Session, submission: MaterialSubmission, media: MediaFile) -> None:
    dbsession.add(SubmissionFile(submission_id=submission.id, file_id=media.id))
    dbsession.flush()


def give_feedback(
    dbsession: Session,
    reviewer: User,
    submission: MaterialSubmission,
    *,
    grade: int,
    text: str,
    status: str,
) -> SubmissionFeedback:
    """Review a submission waiting for feedback: it becomes ``reviewed`` or ``returned``."""
    dbsession.refresh(submission, with_for_update=True)
    if submission.status != SUBMITTED:
        detail = f"This submission is {submission.status}; feedback is given once per submission."
        raise Conflict(detail, errors=[field_error("status", detail)])
    feedback = SubmissionFeedback(
        submission_id=submission.id,
        teacher_id=reviewer.id,
        grade=grade,
        text=text,
        status=status,
    )
    dbsession.add(feedback)
    submission.status = status
    dbsession.flush()
    event = SubmissionReviewed(
        student_ids=(submission.student_id,),
        material_ids=(submission.material_id,),
        submission_id=submission.id,
        feedback_id=feedback.id,
        grade=feedback.grade,
        status=feedback.status,
    )
    record(dbsession, event)
    return feedback


# --- reading ----------------------------------------------------------------------------


def submissions_query(
    viewer: User, material: Material, *, status: str | None = None, student_id: int | None = None
) -> Select:
    stmt = select(MaterialSubmission).where(
        MaterialSubmission.material_id == material.id,
        visibility.visible_submissions_clause(viewer),
    )
    if status is not None:
        stmt = stmt.where(MaterialSubmission.status == status)
    if student_id is not None:
        stmt = stmt.where(MaterialSubmission.student_id == student_id)
    return stmt


LIST_ORDER = ((MaterialSubmission.submitted_at, "desc"), (MaterialSubmission.id, "desc"))


def submissions_data(
    dbsession: Session, submissions: Sequence[MaterialSubmission]
) -> list[dict[str, Any]]:
    """JSON of submissions with their files, feedback and people (4 queries for any number)."""
    if not submissions:
        return []
    ids = [s.id for s in submissions]
    files: dict[int, list[MediaFile]] = defaultdict(list)
    for submission_id, media in dbsession.execute(
        select(SubmissionFile.submission_id, MediaFile)
        .join(MediaFile, MediaFile.id == SubmissionFile.file_id)
        .where(SubmissionFile.submission_id.in_(ids))
        .order_by(SubmissionFile.id)
    ):
        files[submission_id].append(media)
    feedback: dict[int, list[SubmissionFeedback]] = defaultdict(list)
    for item in dbsession.scalars(
        select(SubmissionFeedback)
        .where(SubmissionFeedback.submission_id.in_(ids))
        .order_by(SubmissionFeedback.created_at, SubmissionFeedback.id)
    ):
        feedback[item.submission_id].append(item)
    people = users_by_id(
        dbsession,
        [s.student_id for s in submissions]
        + [f.teacher_id for items in feedback.values() for f in items],
    )
    return [
        _submission_data(s, people, files.get(s.id, []), feedback.get(s.id, []))
        for s in submissions
    ]


def _submission_data(
    submission: MaterialSubmission,
    people: dict[int, User],
    files: list[MediaFile],
    feedback: list[SubmissionFeedback],
) -> dict[str, Any]:
    return {
        "id": submission.id,
        "material_id": submission.material_id,
        "student": brief(people[submission.student_id]),
        "text": submission.text,
        "status": submission.status,
        "submitted_at": iso(submission.submitted_at),
        "updated_at": iso(submission.updated_at),
        "files": [media_payload(m) for m in files],
        "feedback": [_feedback_data(f, people) for f in feedback],
    }


def _feedback_data(feedback: SubmissionFeedback, people: dict[int, User]) -> dict[str, Any]:
    teacher = people.get(feedback.teacher_id) if feedback.teacher_id is not None else None
    return {
        "id": feedback.id,
        "grade": feedback.grade,
        "text": feedback.text,
        "status": feedback.status,
        "teacher": brief(teacher) if teacher is not None else None,
        "created_at": iso(feedback.created_at),
    }


def submission_data(dbsession: Session, submission: MaterialSubmission) -> dict[str, Any]:
    return submissions_data(dbsession, [submission])[0]
