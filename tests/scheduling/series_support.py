"""Shared helpers of the series, reminder and calendar tests (on top of ``lessons_support``:
its world of people, frozen ``NOW`` = Tuesday 2026-12-01 09:00 UTC)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from lessons_support import World
from sqlalchemy import select

from thebot.scheduling.models import Lesson

SERIES = "/api/scheduling/series/"
MOSCOW = "Europe/Moscow"
FIRST_MONDAY = dt.datetime(2026, 12, 7, 15, 0)  # local wall-clock time, Moscow (UTC+3)


def local(value: dt.datetime, timezone: str = MOSCOW) -> dt.datetime:
    """A naive wall-clock time in ``timezone`` as an aware datetime."""
    return value.replace(tzinfo=zoneinfo.ZoneInfo(timezone))


def series_url(series_id: int, **query: Any) -> str:
    suffix = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{SERIES}{series_id}/" + (f"?{suffix}" if suffix else "")


def series_body(
    world: World,
    start: dt.datetime | None = None,
    rrule: str = "FREQ=WEEKLY;COUNT=4",
    *,
    minutes: int = 60,
    timezone: str = MOSCOW,
    **extra: Any,
) -> dict[str, Any]:
    """A create body: ``world``'s teacher and student, Mondays 15:00 Moscow by default."""
    start = start or local(FIRST_MONDAY, timezone)
    data: dict[str, Any] = {
        "teacher_id": world.teacher.id,
        "student_id": world.student.id,
        "subject_id": world.subject.id,
        "start": start.isoformat(),
        "timezone": timezone,
        "duration_minutes": minutes,
        "rrule": rrule,
    }
    data.update(extra)
    return data


def lessons_of(dbsession: Any, series_id: int) -> list[Lesson]:
    """The series' lessons by start, freshly read (the app wrote them in another session)."""
    stmt = (
        select(Lesson)
        .where(Lesson.series_id == series_id)
        .order_by(Lesson.start_at)
        .execution_options(populate_existing=True)
    )
    return list(dbsession.scalars(stmt))


def wall_clock(lesson: Lesson, timezone: str | None = None) -> dt.datetime:
    """The lesson's start as a naive local time in ``timezone`` (default: the lesson's)."""
    tz = zoneinfo.ZoneInfo(timezone or lesson.timezone)
    return lesson.start_at.astimezone(tz).replace(tzinfo=None)
