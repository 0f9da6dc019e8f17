"""Telling the features built on accounts that people changed, without importing them.

Other features show people: a dashboard lists a tutor's students by name, a parent's
children with their tutor, a student's lessons with their teacher. Accounts must not import
those features (they build on accounts, not the other way round), so, as with the teaching
relations of ``visibility``, each of them registers a *people listener* at import time and
the accounts views report every write that changes what others may show:

    register_people_listener("dashboards", refresh_dashboards)  # fn(request, change)

    people_changed(request, user_ids=[user.id])                       # renamed, deactivated
    people_changed(request, student_ids=[s.id], related_ids=[old_tutor_id])  # new tutor

A listener runs inside the request, after the write is flushed and before the commit:
anything it schedules (cache invalidation) must wait for the commit, and an exception in it
fails the request like any other error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# User fields that other features show about a person (``service.brief`` and whether the
# account is active); email, phone and password appear only in the account itself.
SHOWN_USER_FIELDS = frozenset({"username", "first_name", "last_name", "role", "is_active"})
# Profile fields that relate a student to someone else; grade, goal and the teacher/tutor
# profile fields are shown only in the profile itself.
RELATION_PROFILE_FIELDS = frozenset({"tutor_id"})


@dataclass(frozen=True)
class PeopleChange:
    """What changed, as the accounts feature knows it.

    - ``user_ids``: people whose own details (names, username, role, active state) changed:
      they and everyone shown them are concerned;
    - ``student_ids``: students whose relations (tutor, parent links) changed: they and
      everyone related to them *now* are concerned;
    - ``related_ids``: people whose relations to others changed and who may no longer be
      related (a former tutor, an unlinked parent): what they themselves see changed.
    """

    user_ids: frozenset[int] = frozenset()
    student_ids: frozenset[int] = frozenset()
    related_ids: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.user_ids or self.student_ids or self.related_ids)


PeopleListener = Callable[[Any, PeopleChange], None]

_listeners: dict[str, PeopleListener] = {}


def register_people_listener(name: str, listener: PeopleListener) -> None:
    """Add (or replace) a listener called as ``listener(request, change)``."""
    _listeners[name] = listener


def _ids(values: Iterable[int | None]) -> frozenset[int]:
    return frozenset(int(v) for v in values if v is not None)


def people_changed(
    request: Any,
    *,
    user_ids: Iterable[int | None] = (),
    student_ids: Iterable[int | None] = (),
    related_ids: Iterable[int | None] = (),
) -> None:
    """Report a flushed write to every listener (nothing happens when nothing changed)."""
    change = PeopleChange(_ids(user_ids), _ids(student_ids), _ids(related_ids))
    if not change:
        return
    for listener in list(_listeners.values()):
        listener(request, change)


def user_fields_changed(request: Any, user_id: int, fields: Iterable[str]) -> None:
    """After a user PATCH: report it when a field others are shown changed."""
    if SHOWN_USER_FIELDS.intersection(fields):
        people_changed(request, user_ids=[user_id])


def student_relations_changed(
    request: Any, student_id: int, *, former: Iterable[int | None] = ()
) -> None:
    """A student's tutor or parent links changed; ``former`` lost or gained the relation."""
    people_changed(request, student_ids=[student_id], related_ids=former)
