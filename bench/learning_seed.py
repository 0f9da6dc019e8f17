"""Seed a realistic school for ``bench/learning.py`` with bulk Core inserts.

2,000 students (60 % with a tutor, each enrolled in 4 of 50 subjects), 1,600 parents,
120 teachers and 80 tutors teaching two subjects each, 20,000 materials (85 % active),
10,000 assignments, 200,000 progress rows (100 per student, on materials of their subjects),
6,000 homework submissions (60 % with feedback). Deterministic for a given random seed.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from typing import Any

from sqlalchemy import Table, func, insert, inspect, select, text

from thebot.accounts import models as accounts
from thebot.catalog import models as catalog
from thebot.materials import models as learning

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc)
BATCH = 5000
COUNTS = {"student": 2000, "parent": 1600, "teacher": 120, "tutor": 80}
SUBJECTS = 50
MATERIALS = 20000
PROGRESS_PER_STUDENT = 100
ASSIGNED_PER_STUDENT = 5
SUBMISSIONS = 6000
MATERIAL_TYPES = ("lesson", "presentation", "video", "document", "test", "homework")
TAGS = ("algebra", "exam", "revision", "lab", "reading", "basics", "advanced", "olympiad")


class School:
    """The generated rows, table by table, plus who is who."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self.ids: dict[str, list[int]] = {}
        self.subjects = list(range(1, SUBJECTS + 1))
        self.people()
        self.teaching()
        self.materials()
        self.student_work()
        self.submissions()

    def ago(self, days: int) -> dt.datetime:
        return NOW - dt.timedelta(seconds=self.rng.randrange(days * 86400))

    def add(self, model: Any, rows: list[dict[str, Any]]) -> None:
        self.rows.setdefault(model.__table__, []).extend(rows)

    def people(self) -> None:
        rng, next_id, users = self.rng, 1, []
        for role, count in (("admin", 1), *COUNTS.items()):
            self.ids[role] = list(range(next_id, next_id + count))
            next_id += count
            users += [
                {
                    "id": uid,
                    "email": f"{role}{uid}@bench.example",
                    "username": f"{role}{uid}",
                    "first_name": role.title(),
                    "last_name": f"No{uid}",
                    "role": role,
                    "is_active": True,
                    "is_staff": role == "admin",
                    "created_at": self.ago(700),
                    "updated_at": NOW,
                }
                for uid in self.ids[role]
            ]
        self.add(accounts.User, users)
        students, tutors = self.ids["student"], self.ids["tutor"]
        self.tutor_of = {s: rng.choice(tutors) for s in students if rng.random() < 0.6}
        self.add(
            accounts.StudentProfile,
            [
                {
                    "user_id": s,
                    "grade": rng.randint(5, 11),
                    "goal": "",
                    "tutor_id": self.tutor_of.get(s),
                    "progress_percent": rng.randint(0, 100),
                    "streak_days": rng.randint(0, 30),
                    "points": rng.randint(0, 5000),
                    "accuracy_percent": rng.randint(40, 100),
                }
                for s in students
            ],
        )
        self.add(
            accounts.TeacherProfile,
            [{"user_id": t, "experience_years": 5, "bio": ""} for t in self.ids["teacher"]],
        )
        self.add(
            accounts.TutorProfile,
            [
                {"user_id": t, "specialization": "Exams", "experience_years": 3, "bio": ""}
                for t in tutors
            ],
        )
        parents = self.ids["parent"]  # 400 of them have two children
        self.add(
            accounts.ParentLink,
            [
                {"student_id": s, "parent_id": parents[i % len(parents)], "created_at": NOW}
                for i, s in enumerate(students)
            ],
        )

    def teaching(self) -> None:
        rng, subjects = self.rng, self.subjects
        teaching = self.ids["teacher"] + self.ids["tutor"]
        # Two subjects each: about 8 teachers/tutors per subject.
        teaches = {
            t: {subjects[i % SUBJECTS], subjects[(i * 7 + 3) % SUBJECTS]}
            for i, t in enumerate(teaching)
        }
        self.teachers_of = {s: [t for t in teaching if s in teaches[t]] for s in subjects}
        self.enrolled = {st: rng.sample(subjects, 4) for st in self.ids["student"]}
        self.add(
            catalog.Subject,
            [
                {
                    "id": s,
                    "name": f"Subject {s}",
                    "description": "",
                    "color": "#4a90d9",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for s in subjects
            ],
        )
        self.add(
            catalog.TeacherSubject,
            [
                {"teacher_id": t, "subject_id": s, "is_active": True, "created_at": NOW}
                for t in teaching
                for s in sorted(teaches[t])
            ],
        )
        self.add(
            catalog.Enrollment,
            [
                {
                    "student_id": st,
                    "subject_id": s,
                    "teacher_id": rng.choice(self.teachers_of[s]),
                    "status": "active",
                    "created_at": self.ago(300),
                    "updated_at": NOW,
                }
                for st, subs in self.enrolled.items()
                for s in subs
            ],
        )

    def materials(self) -> None:
        rng, rows = self.rng, []
        self.active_in: dict[int, list[int]] = {s: [] for s in self.subjects}
        self.homework: list[tuple[int, int]] = []
        for mid in range(1, MATERIALS + 1):
            subject = self.subjects[mid % SUBJECTS]
            status = rng.choices(("active", "draft", "archived"), (85, 10, 5))[0]
            kind = MATERIAL_TYPES[mid % len(MATERIAL_TYPES)]
            created = self.ago(365)
            rows.append(
                {
                    "id": mid,
                    "title": f"{kind.title()} {mid}: topic {mid % 97}",
                    "content": f"Material {mid}. " + "Lorem ipsum dolor sit amet. " * 8,
                    "author_id": rng.choice(self.teachers_of[subject]),
                    "subject_id": subject,
                    "type": kind,
                    "status": status,
                    "published_at": created if status == "active" else None,
                    "is_public": rng.random() < 0.05,
                    "tags": rng.sample(TAGS, rng.randint(0, 3)),
                    "difficulty": rng.randint(1, 5),
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if status == "active":
                self.active_in[subject].append(mid)
                if kind == "homework":
                    self.homework.append((mid, subject))
        self.add(learning.Material, rows)

    def student_work(self) -> None:
        rng, progress, assigned = self.rng, [], []
        for student, subjects in self.enrolled.items():
            pool = [m for s in subjects for m in self.active_in[s]]
            for mid in rng.sample(pool, PROGRESS_PER_STUDENT):
                pct = rng.choice((0, 10, 25, 40, 50, 60, 75, 90, 100, 100))
                progress.append(
                    {
                        "material_id": mid,
                        "student_id": student,
                        "percentage": pct,
                        "is_completed": pct == 100,
                        "completed_at": NOW if pct == 100 else None,
                        "time_spent_seconds": rng.randrange(60, 7200),
                        "last_accessed_at": self.ago(120),
                        "created_at": self.ago(200),
                    }
                )
            assigned += [
                {"material_id": mid, "student_id": student, "created_at": self.ago(90)}
                for mid in rng.sample(pool, ASSIGNED_PER_STUDENT)
            ]
        self.add(learning.MaterialProgress, progress)
        self.add(learning.MaterialAssignment, assigned)

    def submissions(self) -> None:
        rng, rows, feedback, seen = self.rng, [], [], set()
        students_in = {
            s: [st for st, subs in self.enrolled.items() if s in subs] for s in self.subjects
        }
        while len(rows) < SUBMISSIONS:
            mid, subject = rng.choice(self.homework)
            student = rng.choice(students_in[subject])
            if (mid, student) in seen:
                continue
            seen.add((mid, student))
            sid = len(rows) + 1
            status = rng.choices(("submitted", "reviewed", "returned"), (40, 50, 10))[0]
            rows.append(
                {
                    "id": sid,
                    "material_id": mid,
                    "student_id": student,
                    "text": "My answer is 42.",
                    "status": status,
                    "submitted_at": self.ago(60),
                    "updated_at": NOW,
                }
            )
            if status != "submitted":
                feedback.append(
                    {
                        "submission_id": sid,
                        "teacher_id": rng.choice(self.teachers_of[subject]),
                        "grade": rng.randint(1, 5),
                        "text": "Well done.",
                        "status": status,
                        "created_at": self.ago(30),
                    }
                )
        self.add(learning.MaterialSubmission, rows)
        self.add(learning.SubmissionFeedback, feedback)


def insert_school(engine: Any, school: School) -> None:
    """One transaction, tables in dependency order, ``BATCH`` rows per statement."""
    with engine.begin() as conn:
        for table, rows in school.rows.items():
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(table), rows[start : start + BATCH])
        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("user_account", "subject", "material", "material_submission"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    settle(engine)


def settle(engine: Any) -> None:
    """Statistics for the planner and, on PostgreSQL, a vacuumed visibility map: a seeded
    database as a running one would be, and no autovacuum of the fresh rows during the
    measurement."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))  # the seed's dirty pages written now, not later
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def issue_tokens(engine: Any, ids: dict[str, list[int]], pool: int) -> dict[str, list[str]]:
    """API tokens for ``pool`` users of each role, spread over the role's id range."""
    from sqlalchemy.orm import Session

    from thebot.accounts.credentials.tokens import issue_token

    tokens: dict[str, list[str]] = {}
    with Session(engine) as session, session.begin():
        for role in ("student", "parent", "teacher", "tutor"):
            members = ids[role]
            chosen = members[:: max(1, len(members) // pool)][:pool]
            users = session.scalars(select(accounts.User).where(accounts.User.id.in_(chosen)))
            tokens[role] = [issue_token(session, u, dt.timedelta(days=1))[0] for u in users]
    return tokens


def prepare_database(settings: dict[str, Any], reset: bool, seed: int, pool: int) -> dict:
    """Migrate an empty database, seed it, issue tokens; PostgreSQL is wiped with ``reset``."""
    import time

    from thebot.db import get_engine
    from thebot.db.migrate import upgrade

    engine = get_engine(settings)
    if engine.dialect.name == "postgresql":
        if inspect(engine).get_table_names() and not reset:
            sys.exit(f"{engine.url!r} has tables: pass --reset to wipe it (all data is lost)")
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    with engine.begin() as conn:
        upgrade(settings, connection=conn)
    started = time.perf_counter()
    school = School(random.Random(seed))  # noqa: S311 (test data, not secrets)
    insert_school(engine, school)
    seconds = time.perf_counter() - started
    tokens = issue_tokens(engine, school.ids, pool)
    with engine.connect() as conn:
        counts = {
            table.name: conn.scalar(select(func.count()).select_from(table))
            for table in school.rows
        }
    engine.dispose()
    return {"seed_seconds": round(seconds, 1), "rows": counts, "tokens": tokens}
