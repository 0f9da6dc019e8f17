"""Seed data for EVERY model, the state comparisons of the round-trip tests, and changes.

``assert_every_table_seeded`` fails when a table of ``Base.metadata`` that backups cover is
empty: a new model must bring seed data here, so the round trip keeps proving that nothing
is lost.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

from backup_seed_chat import seed_chat
from backup_seed_knowledge import seed_knowledge
from backup_seed_learning import seed_learning
from backup_seed_payments import seed_payments
from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from thebot.accounts.credentials.tokens import revoke_tokens
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
from thebot.audit import AuditEvent
from thebot.backups.engine.capture import backup_tables
from thebot.backups.engine.format import encoder, type_tag
from thebot.notifications.models import Notification, NotificationPreference
from thebot.system.models import HealthCheck

T0 = dt.datetime(2026, 11, 28, 9, 30, 15, 123456, tzinfo=dt.timezone.utc)


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def user(session: Session, username: str, role: str, **extra: Any) -> User:
    account = User(
        username=username,
        email=f"{username}@example.com",
        first_name=extra.pop("first_name", username.title()),
        last_name=extra.pop("last_name", "Ivanova"),
        role=role,
        is_staff=role == "admin",
        password_hash="argon2$fake$" + username,
        created_at=T0,
        updated_at=T0,
        **extra,
    )
    session.add(account)
    session.flush()
    return account


def seed_every_model(session: Session, media_root: Path) -> dict[str, Any]:
    """Rows in every table (unicode, JSON, times, NULLs, self-references) and media files."""
    admin = user(session, "admin", "admin", phone="+7 900 000-00-00")
    teacher = user(session, "teacher", "teacher", created_by_id=admin.id)
    tutor = user(session, "tutor", "tutor", created_by_id=admin.id, first_name="Ёлка «Tutor»")
    student = user(session, "student", "student", created_by_id=tutor.id, last_login=T0)
    other = user(session, "student2", "student", created_by_id=tutor.id)
    parent = user(session, "parent", "parent", created_by_id=tutor.id)
    session.add_all(
        [
            StudentProfile(
                user_id=student.id,
                grade=7,
                goal="ЕГЭ 💯",
                tutor_id=tutor.id,
                progress_percent=40,
                streak_days=3,
                points=120,
                accuracy_percent=88,
            ),
            StudentProfile(user_id=other.id, grade=None, goal="", tutor_id=None),
            TeacherProfile(user_id=teacher.id, experience_years=12, bio="Line 1\nLine 2\ttab"),
            TutorProfile(user_id=tutor.id, specialization="Maths", experience_years=4, bio=""),
            ParentLink(
                student_id=student.id, parent_id=parent.id, created_by_id=tutor.id, created_at=T0
            ),
            ParentLink(
                student_id=other.id,
                parent_id=parent.id,
                created_by_id=None,
                created_at=T0 + dt.timedelta(seconds=1),
            ),
        ]
    )
    for n, owner in enumerate([student, student, teacher, parent]):
        session.add(
            AuthToken(
                user_id=owner.id,
                key_hash=_hash(f"token{n}"),
                created_at=T0,
                expires_at=T0 + dt.timedelta(days=30),
                last_used_at=None,
            )
        )
    session.add_all(
        [
            ServerSession(
                key_hash=_hash("session"),
                user_id=admin.id,
                created_at=T0,
                expires_at=T0 + dt.timedelta(hours=24),
                ip="192.0.2.1",
                user_agent="Mozilla/5.0 (X11)",
            ),
            PasswordResetToken(
                user_id=student.id,
                token_hash=_hash("reset"),
                created_at=T0,
                expires_at=T0 + dt.timedelta(hours=1),
                used_at=None,
            ),
            PairingCode(
                student_id=student.id,
                code_hash=_hash("pair"),
                created_by_id=tutor.id,
                created_at=T0,
                expires_at=T0 + dt.timedelta(hours=24),
                used_at=T0,
                used_by_id=parent.id,
            ),
            HealthCheck(
                checked_at=T0,
                status="ok",
                response_ms=12.5,
                components={"database": "ok", "redis": "disabled"},
            ),
            HealthCheck(
                checked_at=T0 + dt.timedelta(minutes=1),
                status="degraded",
                response_ms=0.1 + 0.2,
                components={},
            ),
            AuditEvent(
                created_at=T0,
                actor_id=admin.id,
                action="login",
                target_type="user",
                target_id=str(admin.id),
                ip="192.0.2.1",
                user_agent=None,
                request_id="req-1",
                details={"nested": {"list": [1, 2.5, None, True]}, "text": "Привет"},
            ),
            AuditEvent(created_at=T0, actor_id=None, action="login_failed", details={}),
            Notification(
                user_id=student.id,
                kind="lesson",
                title="Урок завтра",
                body="",
                data={"lesson_id": 5, "at": "2026-12-01T15:00:00+03:00"},
                created_at=T0,
                read_at=None,
            ),
            Notification(
                user_id=parent.id,
                kind="report",
                title="Report",
                body="Body",
                data={},
                created_at=T0,
                read_at=T0,
            ),
            NotificationPreference(
                user_id=student.id,
                channels={"lesson": {"email": False}},
                quiet_hours_start=dt.time(22, 0),
                quiet_hours_end=dt.time(7, 30, 15),
                timezone="Europe/Moscow",
                updated_at=T0,
            ),
            NotificationPreference(
                user_id=parent.id,
                channels={},
                quiet_hours_start=None,
                quiet_hours_end=None,
                updated_at=T0,
            ),
        ]
    )
    session.flush()
    seed_learning(session, teacher=teacher, student=student, other=other, tutor=tutor)
    seed_chat(session, teacher=teacher, student=student, parent=parent)
    seed_payments(session, teacher=teacher, student=student, parent=parent, admin=admin)
    seed_knowledge(session, teacher=teacher, student=student)
    write_file(media_root / "materials" / "1" / "lesson.pdf", b"%PDF-1.7\n" + bytes(range(256)))
    write_file(media_root / "avatars" / "student.png", b"\x89PNG\r\n\x1a\n" + os.urandom(4096))
    write_file(media_root / "notes" / "пустой.txt", b"")
    write_file(media_root / "top.txt", "читать\n".encode())
    return {
        "admin": admin.id,
        "student": student.id,
        "other": other.id,
        "parent": parent.id,
        "tutor": tutor.id,
        "teacher": teacher.id,
    }


def change_everything(
    session: Session, media_root: Path, ids: dict[str, Any], round_: int
) -> None:
    """Updates (ORM and Core bulk), inserts, deletes with cascades, and media changes."""
    student = session.get(User, ids["student"])
    student.first_name = f"Changed {round_}"
    student.updated_at = T0 + dt.timedelta(days=round_)
    revoke_tokens(session, ids["student"])  # Core bulk UPDATE: no ORM flush events
    session.execute(
        update(HealthCheck).where(HealthCheck.status == "ok").values(components={"r": round_})
    )
    newcomer = user(session, f"new{round_}", "student", created_by_id=ids["admin"])
    session.add(
        Notification(
            user_id=newcomer.id,
            kind="welcome",
            title=f"Hi {round_}",
            data={"round": round_},
            created_at=T0,
        )
    )
    session.add(
        AuditEvent(
            created_at=T0, actor_id=newcomer.id, action=f"round{round_}", details={"round": round_}
        )
    )
    if round_ == 1:
        # Cascades: profile, tokens, links, notifications go; created_by/used_by become NULL.
        session.execute(delete(User).where(User.id == ids["other"]))
        session.execute(delete(HealthCheck).where(HealthCheck.status == "degraded"))
        (media_root / "top.txt").unlink()
        write_file(media_root / "materials" / "1" / "lesson.pdf", b"%PDF-1.7 v2\n" * 100)
        write_file(media_root / "materials" / "2" / "new.bin", os.urandom(70000))
    else:
        session.execute(delete(User).where(User.id == ids["parent"]))
        # A primary key changes: the old key must disappear, the new one appear.
        session.execute(update(HealthCheck).where(HealthCheck.id == 1).values(id=77))
        write_file(media_root / "notes" / "пустой.txt", b"no longer empty")
        (media_root / "avatars" / "student.png").unlink()
    session.flush()


def write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def assert_every_table_seeded(engine: Engine) -> None:
    with engine.connect() as conn:
        empty = [
            t.name
            for t in backup_tables()
            if conn.execute(select(func.count()).select_from(t)).scalar_one() == 0
        ]
    assert empty == [], (
        f"tables without seed data: {empty}. Add rows for them to "
        "tests/backups/backup_seed.py::seed_every_model so the backup round trip covers them."
    )


def database_state(engine: Engine) -> dict[str, list[list[Any]]]:
    """Every backed-up table, row by row in key order, values in their portable form."""
    state = {}
    with engine.connect() as conn:
        for table in backup_tables():
            encoders = [encoder(type_tag(c.type)) for c in table.columns]
            rows = conn.execute(select(table).order_by(*table.primary_key.columns))
            state[table.name] = [
                [enc(v) for enc, v in zip(encoders, row, strict=True)] for row in rows
            ]
    return state


def media_state(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> bytes)."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.relative_to(root).parts[0].startswith(".thebot-"):
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files
