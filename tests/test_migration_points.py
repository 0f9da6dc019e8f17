"""The data migration that recomputes every student's points from both shares (progress
and graded assignments), on a database of its own, on SQLite and on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from factories import (
    AssignmentFactory,
    AssignmentSubmissionFactory,
    GradeFactory,
    MaterialFactory,
    MaterialProgressFactory,
    UserFactory,
    factories_bound_to,
)
from thebot.accounts.models import StudentProfile
from thebot.assignments.submissions.grading import graded_points
from thebot.db.migrate import alembic_config
from thebot.materials.progress.service import compute_stats
from thebot.settings import load_settings

REVISION = "e3f1a2b4c5d6"


@pytest.fixture
def migrated(scratch_database_url):
    config = alembic_config(load_settings({"database_url": scratch_database_url}, environ={}))
    command.upgrade(config, "heads")
    engine = create_engine(scratch_database_url)
    yield config, sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def test_points_are_recomputed_from_progress_and_counted_grades(migrated):
    config, sessions = migrated
    with sessions() as session, session.begin(), factories_bound_to(session):
        student, other = UserFactory(role="student"), UserFactory(role="student")
        session.add_all(
            [
                StudentProfile(user_id=student.id, points=999),  # whichever write came last
                StudentProfile(user_id=other.id, points=7),  # nothing to count: 0
            ]
        )
        for percentage in (55, 100):  # 5, then 10 + 10 for the completion
            MaterialProgressFactory(
                student_id=student.id, material_id=MaterialFactory().id, percentage=percentage
            )
        assignment = AssignmentFactory(max_score=Decimal("100"))
        counted = AssignmentSubmissionFactory(
            assignment_id=assignment.id, student_id=student.id, status="graded"
        )
        GradeFactory(submission_id=counted.id, raw_score=Decimal("45.50"))  # rounds to 46
        replaced = AssignmentSubmissionFactory(
            assignment_id=assignment.id,
            student_id=student.id,
            attempt=2,
            counts=False,
            status="graded",
        )
        GradeFactory(submission_id=replaced.id, raw_score=Decimal("90"))  # not counted
        ids = (student.id, other.id)
    command.downgrade(config, f"{REVISION}-1")
    command.upgrade(config, "heads")
    with sessions() as session:
        points = {i: session.get(StudentProfile, i).points for i in ids}
        assert points == {ids[0]: 5 + 20 + 46, ids[1]: 0}
        # the application's own rule gives the same figures (with the app's points sources)
        sources = {"assignments": graded_points}
        assert {
            i: s["points"] for i, s in compute_stats(session, list(ids), sources).items()
        } == points
