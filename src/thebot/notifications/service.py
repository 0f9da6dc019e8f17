"""Notifications: ``notify()``, delivery preferences, quiet hours, read state.

Every feature that tells people something calls ``notify(request, user, kind, title, body)``.
``kind`` is ``"<category>.<event>"`` (``"lessons.cancelled"``, ``"assignments.graded"``); users
switch channels per category. A feature adds its categories in its ``includeme``:
``config.include("thebot.notifications")`` then
``config.add_notification_category(name, description, email=...)``.

``notify`` stores the in-app notification and, when the user wants email for the category,
enqueues the ``notifications.send_email`` actor after the transaction commits; an email due
during the user's quiet hours is delayed until they end.

``notify`` takes the request (a view's, or an actor's prepared request) rather than a bare
session because the email must leave only once that request's transaction commits.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from thebot.db import table_of, utcnow
from thebot.errors import Invalid
from thebot.events import record
from thebot.notifications.events import (
    NotificationCreated,
    NotificationRead,
    NotificationsCreated,
)
from thebot.notifications.models import Notification, NotificationPreference
from thebot.tasks import enqueue, enqueue_delayed

log = logging.getLogger(__name__)

CHANNELS = ("in_app", "email")
TITLE_MAX = 200
EMAIL_TASK = "notifications.send_email"
EMAIL_FOOTER = (
    "\n\n--\nTHE_BOT. You can choose which notifications reach you by email, "
    "and set quiet hours, in your notification settings."
)


@dataclass(frozen=True)
class Category:
    """A group of notification kinds the user switches on or off per channel."""

    name: str
    description: str
    email: bool  # the email channel's default: on for categories people must not miss


CATEGORIES = "thebot.notification_categories"  # registry: {name: Category}


def add_notification_category(config: Any, name: str, description: str, *, email: bool) -> None:
    """``config.add_notification_category``: users get notifications of kind ``"<name>.*"``
    and switch them per channel (``email``: that channel's default). A name taken twice is a
    configuration conflict."""
    if not name or "." in name:
        raise ValueError(f"invalid notification category {name!r}")
    category = Category(name, description, email)

    def register() -> None:
        config.registry.setdefault(CATEGORIES, {})[name] = category

    config.action(("thebot.notification_category", name), register)


def categories(registry: Any) -> dict[str, Category]:
    """The categories added to ``registry``, by name."""
    return registry.get(CATEGORIES, {}) if registry is not None else {}


def category_of(registry: Any, kind: str) -> Category:
    name = kind.split(".", 1)[0]
    try:
        return categories(registry)[name]
    except KeyError:
        raise ValueError(
            f"notification kind {kind!r}: unknown category {name!r} "
            "(config.add_notification_category it)"
        ) from None


# --- preferences ---------------------------------------------------------------------------


def get_preferences(dbsession: Session, user_id: int) -> NotificationPreference | None:
    return dbsession.get(NotificationPreference, user_id)


def effective_channels(
    pref: NotificationPreference | None, known: dict[str, Category]
) -> dict[str, dict[str, bool]]:
    """Every ``known`` category's switches: the user's choices over the defaults."""
    chosen = (pref.channels if pref is not None else None) or {}
    result = {}
    for name, category in sorted(known.items()):
        switches = {"in_app": True, "email": category.email}
        for channel, value in (chosen.get(name) or {}).items():
            if channel in switches and isinstance(value, bool):
                switches[channel] = value
        result[name] = switches
    return result


def preferences_json(
    pref: NotificationPreference | None, known: dict[str, Category]
) -> dict[str, Any]:
    def hhmm(value: dt.time | None) -> str | None:
        return value.strftime("%H:%M") if value is not None else None

    return {
        "categories": effective_channels(pref, known),
        "quiet_hours_start": hhmm(pref.quiet_hours_start if pref else None),
        "quiet_hours_end": hhmm(pref.quiet_hours_end if pref else None),
        "timezone": pref.timezone if pref else "UTC",
    }


def update_preferences(
    dbsession: Session, user_id: int, changes: dict[str, Any]
) -> NotificationPreference:
    """Apply a partial update (already validated in shape); checks the result as a whole."""
    pref = get_preferences(dbsession, user_id)
    if pref is None:
        pref = NotificationPreference(user_id=user_id, channels={}, timezone="UTC")
        try:
            with dbsession.begin_nested():
                dbsession.add(pref)
        except IntegrityError:  # a concurrent first update created the row
            pref = dbsession.get(NotificationPreference, user_id, populate_existing=True)
            if pref is None:
                raise
    if "categories" in changes:
        channels = {name: dict(switches) for name, switches in (pref.channels or {}).items()}
        for name, switches in changes["categories"].items():
            channels.setdefault(name, {}).update(switches)
        pref.channels = channels  # a new object, so the JSON column is seen as changed
    for name in ("quiet_hours_start", "quiet_hours_end", "timezone"):
        if name in changes:
            setattr(pref, name, changes[name])
    start, end = pref.quiet_hours_start, pref.quiet_hours_end
    if (start is None) != (end is None):
        missing = "quiet_hours_end" if end is None else "quiet_hours_start"
        raise Invalid(
            missing,
            "Required together with the other end of the quiet hours",
            detail="Quiet hours need both a start and an end (or null for both).",
        )
    if start is not None and start == end:
        raise Invalid(
            "quiet_hours_end",
            "Must differ from quiet_hours_start",
            detail="Quiet hours must start and end at different times.",
        )
    pref.updated_at = utcnow()
    dbsession.flush()
    return pref


def quiet_hours_delay(
    pref: NotificationPreference | None, now: dt.datetime
) -> dt.timedelta | None:
    """How long an email due at ``now`` must wait for the user's quiet hours to end."""
    if pref is None or pref.quiet_hours_start is None or pref.quiet_hours_end is None:
        return None
    try:
        tz = zoneinfo.ZoneInfo(pref.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(tz)
    wall = local.time().replace(tzinfo=None)
    start, end = pref.quiet_hours_start, pref.quiet_hours_end
    # Quiet hours may run over midnight, e.g. 22:00-07:00.
    quiet = start <= wall < end if start < end else (wall >= start or wall < end)
    if not quiet:
        return None
    end_day = local.date() if wall < end else local.date() + dt.timedelta(days=1)
    ends_at = dt.datetime.combine(end_day, end, tzinfo=tz)
    # Compare in UTC: subtracting two datetimes of one ZoneInfo ignores DST changes.
    delay = ends_at.astimezone(dt.timezone.utc) - now.astimezone(dt.timezone.utc)
    return delay if delay > dt.timedelta(0) else None


# --- sending --------------------------------------------------------------------------------


def notify(
    request: Any,
    user: Any,
    kind: str,
    title: str,
    body: str = "",
    *,
    data: dict[str, Any] | None = None,
    email: bool = True,
) -> Notification | None:
    """Tell ``user`` something, on the channels they chose for ``kind``'s category
    (``email=False``: in-app only, for senders that batch their emails, like chat digests).

    Returns the stored in-app notification (``None`` when the user switched the in-app
    channel off, or the account is inactive). The email, if any, is sent after commit.
    """
    category = category_of(request.registry, kind)
    data = dict(data or {})
    json.dumps(data)  # TypeError now, rather than at flush time, for data that is not JSON
    if not user.is_active:
        return None
    dbsession = request.dbsession
    pref = get_preferences(dbsession, user.id)
    channels = effective_channels(pref, {category.name: category})[category.name]
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    notification = None
    if channels["in_app"]:
        notification = Notification(user_id=user.id, kind=kind, title=title, body=body, data=data)
        dbsession.add(notification)
        dbsession.flush()
        # Pushed to the user's socket after commit (``notification.created``).
        record(dbsession, NotificationCreated(user.id, notification_json(notification)))
    if email and channels["email"] and user.email:
        args = ([user.email], title, (body or title) + EMAIL_FOOTER)
        delay = quiet_hours_delay(pref, utcnow())
        if delay is None:
            enqueue(request, EMAIL_TASK, *args)
        else:
            enqueue_delayed(request, EMAIL_TASK, math.ceil(delay.total_seconds() * 1000), *args)
            log.debug("email %s to user %s delayed by quiet hours (%s)", kind, user.id, delay)
    return notification


def preferences_of(dbsession: Session, user_ids: Iterable[int]) -> dict[int, Any]:
    """The stored preferences of ``user_ids`` (one query; users without a row are absent)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = dbsession.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id.in_(wanted))
    )
    return {pref.user_id: pref for pref in rows}


def notify_many(
    request: Any,
    users: Iterable[Any],
    kind: str,
    title: str,
    body: str = "",
    *,
    data: dict[str, Any] | None = None,
    email: bool = True,
    preferences: dict[int, Any] | None = None,
) -> list[dict[str, Any]]:
    """``notify`` for several users in a constant number of queries: their preferences in
    one (or ``preferences``, from ``preferences_of``), the notifications in multi-row
    inserts (one per 1,000 users; fewer on SQLite, per its parameter limit), one
    ``NotificationsCreated`` event (each user's socket still gets its own
    ``notification.created`` frame). Returns the stored notifications' objects
    (``notification_json``)."""
    category = category_of(request.registry, kind)
    data = dict(data or {})
    json.dumps(data)
    people = list({user.id: user for user in users if user.is_active}.values())
    if not people:
        return []
    dbsession = request.dbsession
    if preferences is None:
        preferences = preferences_of(dbsession, [user.id for user in people])
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    now = utcnow()
    rows = []
    for user in people:
        pref = preferences.get(user.id)
        channels = effective_channels(pref, {category.name: category})[category.name]
        if channels["in_app"]:
            rows.append(
                {
                    "user_id": user.id,
                    "kind": kind,
                    "title": title,
                    "body": body,
                    "data": data,
                    "created_at": now,
                }
            )
        if email and channels["email"] and user.email:
            args = ([user.email], title, (body or title) + EMAIL_FOOTER)
            delay = quiet_hours_delay(pref, now)
            ms = math.ceil(delay.total_seconds() * 1000) if delay is not None else None
            enqueue_delayed(request, EMAIL_TASK, ms, *args)
    created = []
    if rows:
        # One executemany: SQLAlchemy sends it as multi-row INSERTs ("insertmanyvalues", a
        # statement compiled once and cached). The ids are matched by user (one row each):
        # RETURNING's order is not guaranteed on SQLite without a sentinel column, and
        # asking for it costs a statement per row there.
        ids = dict((user_id, row_id) for row_id, user_id in dbsession.execute(INSERTED, rows))
        for row in rows:
            item = notification_json(SimpleNamespace(id=ids[row["user_id"]], read_at=None, **row))
            created.append((row["user_id"], item))
    if created:
        record(dbsession, NotificationsCreated(notifications=tuple(created)))
    return [item for _, item in created]


# The table, not the entity: no unit of work, no ORM bulk pass over each row.
_TABLE = table_of(Notification)
INSERTED = insert(_TABLE).returning(_TABLE.c.id, _TABLE.c.user_id)


# --- reading --------------------------------------------------------------------------------


def notifications_query(user_id: int, *, unread: bool = False) -> Select:
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt


def unread_count(dbsession: Session, user_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(dbsession.execute(stmt).scalar_one())


def mark_read(dbsession: Session, user_id: int, notification_id: int) -> Notification | None:
    """Mark one of the user's notifications read; ``None`` if it is not theirs (or absent)."""
    notification = dbsession.execute(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    ).scalar_one_or_none()
    if notification is not None and notification.read_at is None:
        notification.read_at = utcnow()
        dbsession.flush()
        record(
            dbsession,
            NotificationRead(
                user_id,
                (notification.id,),
                unread_count=unread_count(dbsession, user_id),
                read_at=notification.read_at.isoformat(),
            ),
        )
    return notification


def mark_all_read(dbsession: Session, user_id: int) -> int:
    """Mark every unread notification of the user read; returns how many."""
    # An UPDATE runs on a cursor; Session.execute is only typed as returning rows.
    result = cast(
        "CursorResult[Any]",
        dbsession.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        ),
    )
    updated = int(result.rowcount or 0)
    if updated:
        read = NotificationRead(user_id, all=True, unread_count=unread_count(dbsession, user_id))
        record(dbsession, read)
    return updated


def notification_json(notification: Notification | SimpleNamespace) -> dict[str, Any]:
    """A notification as the API shows it (a stored one, or the values of one just
    inserted)."""
    return {
        "id": notification.id,
        "kind": notification.kind,
        "category": notification.kind.split(".", 1)[0],
        "title": notification.title,
        "body": notification.body,
        "data": notification.data or {},
        "created_at": notification.created_at.isoformat(),
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
        "is_read": notification.read_at is not None,
    }
