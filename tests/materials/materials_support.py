"""Shared set-up of the materials tests: a small school around one subject.

``school`` has a subject taught by ``teacher`` (who writes its materials) and ``colleague``
(another teacher of the subject), an ``enrolled`` student (active enrollment with
``teacher``), an ``assigned`` student (tutored by ``tutor``, not enrolled), each with a
parent, plus people unrelated to all of it, and an ``admin``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from factories import (
    MaterialAssignmentFactory,
    MaterialFactory,
    ParentLinkFactory,
)
from thebot.catalog.models import Enrollment, Subject, TeacherSubject
from thebot.materials.models import Material

API = "/api/materials/"
_subject_numbers = itertools.count(1)


def material_url(material: Material | int, suffix: str = "") -> str:
    material_id = material if isinstance(material, int) else material.id
    return f"{API}{material_id}/{suffix}"


def make_subject(dbsession: Any, name: str | None = None) -> Subject:
    subject = Subject(name=name or f"Subject {next(_subject_numbers)}", description="")
    dbsession.add(subject)
    dbsession.flush()
    return subject


def teach(dbsession: Any, teacher: Any, subject: Subject, *, active: bool = True) -> Any:
    row = TeacherSubject(teacher_id=teacher.id, subject_id=subject.id, is_active=active)
    dbsession.add(row)
    dbsession.flush()
    return row


def enroll(
    dbsession: Any, student: Any, subject: Subject, teacher: Any, *, status: str = "active"
) -> Enrollment:
    row = Enrollment(
        student_id=student.id, subject_id=subject.id, teacher_id=teacher.id, status=status
    )
    dbsession.add(row)
    dbsession.flush()
    return row


@dataclass
class School:
    dbsession: Any
    auth_headers: Any
    subject: Subject
    admin: Any
    teacher: Any
    colleague: Any
    tutor: Any
    enrolled: Any
    assigned: Any
    enrolled_parent: Any
    assigned_parent: Any
    stranger: Any  # a student of nothing here
    stranger_teacher: Any
    stranger_parent: Any
    _headers: dict[int, dict[str, str]] = field(default_factory=dict)

    def headers(self, user: Any) -> dict[str, str]:
        if user.id not in self._headers:
            self._headers[user.id] = self.auth_headers(user)
        return self._headers[user.id]

    def material(self, *, assign: bool = True, **kwargs: Any) -> Material:
        """A material of the subject by ``teacher`` (active unless told), assigned to
        ``assigned``."""
        kwargs.setdefault("status", "active")
        kwargs.setdefault("author_id", self.teacher.id)
        kwargs.setdefault("subject_id", self.subject.id)
        material = MaterialFactory(**kwargs)
        if assign:
            MaterialAssignmentFactory(material_id=material.id, student_id=self.assigned.id)
        return material


@pytest.fixture(name="school")
def school_fixture(dbsession: Any, make_user: Any, auth_headers: Any) -> School:
    """The ``school`` fixture (import ``school_fixture`` into a test module to use it)."""
    subject = make_subject(dbsession)
    teacher, colleague = make_user("teacher"), make_user("teacher")
    tutor = make_user("tutor")
    teach(dbsession, teacher, subject)
    teach(dbsession, colleague, subject)
    enrolled = make_user("student")
    assigned = make_user("student", profile={"tutor_id": tutor.id})
    enroll(dbsession, enrolled, subject, teacher)
    enrolled_parent, assigned_parent = make_user("parent"), make_user("parent")
    ParentLinkFactory(student=enrolled, parent=enrolled_parent)
    ParentLinkFactory(student=assigned, parent=assigned_parent)
    return School(
        dbsession=dbsession,
        auth_headers=auth_headers,
        subject=subject,
        admin=make_user("admin"),
        teacher=teacher,
        colleague=colleague,
        tutor=tutor,
        enrolled=enrolled,
        assigned=assigned,
        enrolled_parent=enrolled_parent,
        assigned_parent=assigned_parent,
        stranger=make_user("student"),
        stranger_teacher=make_user("teacher"),
        stranger_parent=make_user("parent"),
    )


def mark_dashboards(app: Any, users: list[Any]) -> Any:
    """Give these users' dashboards a known generation; returns a function telling which of
    them were invalidated since (``thebot.dashboards.cache``)."""
    from thebot.dashboards.cache import gen_key, region_of

    region = region_of(app.registry)
    region.set_multi({gen_key(u.id): "marked" for u in users})

    def invalidated() -> set[int]:
        return {u.id for u in users if region.get(gen_key(u.id)) != "marked"}

    return invalidated
