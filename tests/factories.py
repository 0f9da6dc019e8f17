"""factory_boy factories for the models; ``Session`` is bound per test (see conftest)."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from thebot.accounts.models import ParentLink, StudentProfile, TeacherProfile, TutorProfile, User


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


ALL_FACTORIES = [
    UserFactory,
    StudentProfileFactory,
    TeacherProfileFactory,
    TutorProfileFactory,
    ParentLinkFactory,
]
