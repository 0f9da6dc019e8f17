"""Route factories of the lessons API.

``LessonsRoot`` (the collection, ``check-conflicts/``): every signed-in user lists the
lessons they may see; teachers, tutors and admins book (which pairs exactly: the rules).

``LessonResource`` (one lesson): a lesson the caller may not see is a 404 from the factory
itself; otherwise its ``__acl__`` grants what the caller's relations to the lesson allow
(``lesson_visibility.relations``; who may do what: ``lessons``). Anonymous callers are not
looked up and get the forbidden view's 401.
"""

from __future__ import annotations

from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone
from pyramid.httpexceptions import HTTPNotFound

from thebot.accounts.models import Role
from thebot.accounts.users.resources import viewer_of
from thebot.api import parse_id
from thebot.permissions import (
    BOOK_LESSONS,
    CANCEL_LESSON,
    COMPLETE_LESSON,
    CONFIRM_LESSON,
    EDIT_LESSON,
    VIEW_LESSON,
    VIEW_LESSON_HISTORY,
    VIEW_LESSONS,
)
from thebot.scheduling.lessons import visibility as seen
from thebot.scheduling.lessons.service import COMPLETERS, CONFIRMERS, MANAGERS
from thebot.scheduling.models import Lesson

DENY_REST = (Deny, Everyone, ALL_PERMISSIONS)
ANY_RELATION = frozenset({seen.ADMIN, seen.TEACHER, seen.STUDENT, seen.TUTOR, seen.PARENT})

# permission -> the relations to a lesson that grant it
LESSON_PERMISSIONS: dict[str, frozenset[str]] = {
    VIEW_LESSON: ANY_RELATION,
    VIEW_LESSON_HISTORY: ANY_RELATION,
    EDIT_LESSON: MANAGERS,
    CANCEL_LESSON: MANAGERS,
    CONFIRM_LESSON: CONFIRMERS,
    COMPLETE_LESSON: COMPLETERS,
}


class LessonsRoot:
    __acl__ = [
        (Allow, Authenticated, VIEW_LESSONS),
        (Allow, f"role:{Role.ADMIN.value}", BOOK_LESSONS),
        (Allow, f"role:{Role.TEACHER.value}", BOOK_LESSONS),
        (Allow, f"role:{Role.TUTOR.value}", BOOK_LESSONS),
        DENY_REST,
    ]

    def __init__(self, request: Any):
        self.request = request


class LessonResource:
    def __init__(self, request: Any):
        self.request = request
        self.lesson: Lesson | None = None
        self.relations: frozenset[str] = frozenset()
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None:
            return
        lesson_id = parse_id(request.matchdict.get("lesson_id"))
        lesson = request.dbsession.get(Lesson, lesson_id) if lesson_id else None
        relations = seen.relations(request.dbsession, viewer, lesson) if lesson else frozenset()
        if lesson is None or not relations:
            raise HTTPNotFound()
        self.lesson = lesson
        self.relations = relations
        granted = tuple(p for p, allowed in LESSON_PERMISSIONS.items() if relations & allowed)
        self.__acl__ = [(Allow, f"user:{viewer.id}", granted), DENY_REST]
