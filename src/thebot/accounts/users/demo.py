"""Demo accounts: one per role, linked like real ones (the tutor's student and its parent).

Idempotent: an account that exists is left alone (its password is not reset, so it cannot be
printed again); missing accounts and links are created. Passwords are random, shown once.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from pyramid.events import ApplicationCreated
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from thebot.accounts.credentials.passwords import generate_password, hash_password
from thebot.accounts.models import (
    ParentLink,
    Role,
    StudentProfile,
    TeacherProfile,
    TutorProfile,
    User,
)

DEMO_EMAIL_DOMAIN = "demo.thebot.example"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoAccount:
    role: str
    username: str
    first_name: str
    last_name: str

    @property
    def email(self) -> str:
        return f"{self.username.replace('_', '.')}@{DEMO_EMAIL_DOMAIN}"


DEMO_ACCOUNTS = (
    DemoAccount(Role.ADMIN.value, "demo_admin", "Alexandra", "Sokolova"),
    DemoAccount(Role.TEACHER.value, "demo_teacher", "Boris", "Ivanov"),
    DemoAccount(Role.TUTOR.value, "demo_tutor", "Vera", "Smirnova"),
    DemoAccount(Role.STUDENT.value, "demo_student", "Gleb", "Kuznetsov"),
    DemoAccount(Role.PARENT.value, "demo_parent", "Daria", "Kuznetsova"),
)


@dataclass
class DemoResult:
    created: list[tuple[User, str]] = field(default_factory=list)  # (account, clear password)
    existing: list[User] = field(default_factory=list)
    links_created: int = 0
    linked_student_id: int | None = None  # the student whose tutor or parent link was made


def has_users(dbsession: Session) -> bool:
    return bool(dbsession.execute(select(exists().where(User.id.is_not(None)))).scalar())


def create_demo_accounts(dbsession: Session) -> DemoResult:
    """Create the missing demo accounts and links; returns who was created, with passwords."""
    result = DemoResult()
    accounts: dict[str, User] = {}
    for spec in DEMO_ACCOUNTS:
        user = dbsession.execute(
            select(User).where((User.username == spec.username) | (User.email == spec.email))
        ).scalar_one_or_none()
        if user is not None:
            result.existing.append(user)
        else:
            password = generate_password()
            user = _create(dbsession, spec, password)
            result.created.append((user, password))
        accounts[spec.role] = user
    result.links_created = _link(dbsession, accounts)
    if result.links_created:
        result.linked_student_id = accounts[Role.STUDENT.value].id
    dbsession.flush()
    return result


def _create(dbsession: Session, spec: DemoAccount, password: str) -> User:
    user = User(
        email=spec.email,
        username=spec.username,
        first_name=spec.first_name,
        last_name=spec.last_name,
        role=spec.role,
        is_active=True,
        is_staff=spec.role == Role.ADMIN.value,
        password_hash=hash_password(password),
    )
    dbsession.add(user)
    dbsession.flush()
    if spec.role == Role.STUDENT.value:
        dbsession.add(
            StudentProfile(user_id=user.id, grade=8, goal="Pass the regional maths exam")
        )
    elif spec.role == Role.TEACHER.value:
        dbsession.add(
            TeacherProfile(user_id=user.id, experience_years=12, bio="Mathematics and physics.")
        )
    elif spec.role == Role.TUTOR.value:
        dbsession.add(
            TutorProfile(
                user_id=user.id,
                specialization="Exam preparation",
                experience_years=6,
                bio="Keeps students on track between lessons.",
            )
        )
    dbsession.flush()
    return user


def _link(dbsession: Session, accounts: dict[str, User]) -> int:
    """The tutor tutors the student; the parent is linked to the student."""
    created = 0
    student, tutor, parent = (
        accounts.get(Role.STUDENT.value),
        accounts.get(Role.TUTOR.value),
        accounts.get(Role.PARENT.value),
    )
    if student is None or student.role != Role.STUDENT.value:
        return created
    profile = dbsession.get(StudentProfile, student.id)
    if profile is None:
        profile = StudentProfile(user_id=student.id)
        dbsession.add(profile)
    if tutor is not None and tutor.role == Role.TUTOR.value and profile.tutor_id is None:
        profile.tutor_id = tutor.id
        created += 1
    if parent is not None and parent.role == Role.PARENT.value:
        linked = dbsession.execute(
            select(ParentLink.id).where(
                ParentLink.student_id == student.id, ParentLink.parent_id == parent.id
            )
        ).first()
        if linked is None:
            dbsession.add(ParentLink(student_id=student.id, parent_id=parent.id))
            created += 1
    return created


def credentials_table(result: DemoResult) -> list[str]:
    """Lines describing the demo accounts: passwords for the new ones only."""
    lines = []
    if result.created:
        lines.append(f"{'role':<8}  {'username':<13}  {'email':<36}  password")
        for user, password in result.created:
            lines.append(f"{user.role:<8}  {user.username:<13}  {user.email:<36}  {password}")
    if result.existing:
        names = ", ".join(u.username for u in result.existing)
        lines.append(f"Already present (passwords were shown when they were created): {names}")
    return lines


def banner(title: str, lines: list[str], width: int = 78) -> str:
    rule = "=" * width
    return "\n".join([rule, f" {title}", "-" * width, *(f" {line}" for line in lines), rule])


def summary(result: DemoResult) -> dict[str, Any]:
    """For audit events: who was created, never the passwords."""
    return {
        "created": [u.username for u, _ in result.created],
        "existing": [u.username for u in result.existing],
        "links_created": result.links_created,
    }


def first_start(event: ApplicationCreated) -> None:
    """In development (``auto_migrate`` and ``debug``), a database without any user gets the
    demo accounts, whose random passwords are printed once on the ``pserve`` console (stderr):
    a fresh checkout can log in straight away; nothing is printed again once someone exists."""
    registry = event.app.registry
    settings = registry.settings
    if settings.get("auto_migrate") and settings.get("debug"):
        create_first_accounts(registry)


def create_first_accounts(registry: Any) -> bool:
    """Demo accounts for an empty development database; ``True`` when they were created."""
    with registry["dbsession_factory"]() as dbsession, dbsession.begin():
        if has_users(dbsession):
            return False
        result = create_demo_accounts(dbsession)
        lines = credentials_table(result)
    log.info("empty development database: created %d demo accounts", len(result.created))
    # The console of pserve is where a developer looks; the log may be shipped elsewhere.
    # stderr: stdout stays clean for programs that load the app (get_app, scripts' output).
    print(
        banner(
            "THE_BOT development first start: demo accounts (shown once, not stored)",
            [
                *lines,
                "",
                'Log in: POST /api/auth/login/ {"login": <username>, "password": <password>}.',
            ],
        ),
        file=sys.stderr,
        flush=True,
    )
    return True


def includeme(config: Any) -> None:
    config.add_subscriber(first_start, ApplicationCreated)
