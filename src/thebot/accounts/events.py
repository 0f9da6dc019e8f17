"""Telling the features built on accounts that people changed, without importing them.

Other features show people: a dashboard lists a tutor's students by name, a parent's
children with their tutor, a student's lessons with their teacher. Accounts must not import
those features (they build on accounts, not the other way round), so the accounts services
record a ``PeopleChanged`` domain event (``thebot.events``) for every write that changes
what others may show, and those features subscribe to it in their ``includeme``:

    config.add_subscriber(refresh_dashboards, [Committing, PeopleChanged])

    people_changed(dbsession, user_ids=[user.id])                      # renamed, deactivated
    people_changed(dbsession, student_ids=[s.id], related_ids=[old_tutor_id])  # new tutor

Subscribers run inside the transaction (after the write is flushed, before the commit):
anything they schedule (cache invalidation) waits for the commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from thebot.events import DomainEvent, ids, record

# User fields that other features show about a person (``service.brief`` and whether the
# account is active); email, phone and password appear only in the account itself.
SHOWN_USER_FIELDS = frozenset({"username", "first_name", "last_name", "role", "is_active"})
# Profile fields that relate a student to someone else; grade, goal and the teacher/tutor
# profile fields are shown only in the profile itself.
RELATION_PROFILE_FIELDS = frozenset({"tutor_id"})


@dataclass(frozen=True)
class PeopleChanged(DomainEvent):
    """What changed, as the accounts feature knows it.

    - ``changed_ids``: people whose own details (names, username, role, active state)
      changed: they and everyone shown them are concerned;
    - ``student_ids``: students whose relations (tutor, parent links) changed: they and
      everyone related to them *now* are concerned;
    - ``related_ids``: people whose relations to others changed and who may no longer be
      related (a former tutor, an unlinked parent): what they themselves see changed.
    """

    name = "people.changed"
    changed_ids: tuple[int, ...] = ()
    student_ids: tuple[int, ...] = ()
    related_ids: tuple[int, ...] = ()

    @property
    def user_ids(self) -> tuple[int, ...]:
        return ids(self.changed_ids, self.student_ids, self.related_ids)


def people_changed(
    dbsession: Session,
    *,
    user_ids: Iterable[int | None] = (),
    student_ids: Iterable[int | None] = (),
    related_ids: Iterable[int | None] = (),
) -> None:
    """Record a flushed write as ``PeopleChanged`` (nothing when nothing changed)."""
    event = PeopleChanged(ids(user_ids), ids(student_ids), ids(related_ids))
    if event.user_ids:
        record(dbsession, event)


def user_fields_changed(dbsession: Session, user_id: int, fields: Iterable[str]) -> None:
    """After a user PATCH: report it when a field others are shown changed."""
    if SHOWN_USER_FIELDS.intersection(fields):
        people_changed(dbsession, user_ids=[user_id])


def student_relations_changed(
    dbsession: Session, student_id: int, *, former: Iterable[int | None] = ()
) -> None:
    """A student's tutor or parent links changed; ``former`` lost or gained the relation."""
    people_changed(dbsession, student_ids=[student_id], related_ids=former)
