"""Which occurrence of its series a lesson is, and the exception (RFC 5545 ``EXDATE``) a
cancelled occurrence leaves on its series.

A lesson's occurrence is identified by the local *date* of its ``occurrence_start`` (the
original start, iCalendar's RECURRENCE-ID): a weekly rule has at most one occurrence a day,
and the date survives changes of the time of day. An exception is stored as the local
wall-clock time the occurrence would have started at.

Below both ``lessons`` (cancelling a single lesson) and ``series`` (cancelling or editing
with a scope), so neither package imports the other for it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from thebot.scheduling.models import Lesson, LessonSeries
from thebot.scheduling.rrule import exdate_text, to_local


def occurrence_date(series: LessonSeries, lesson: Lesson) -> dt.date:
    """Which occurrence ``lesson`` is: the local date of its original start."""
    return to_local(lesson.occurrence_start or lesson.start_at, series.timezone).date()


def exdate_for(series: LessonSeries, day: dt.date) -> str:
    return exdate_text(dt.datetime.combine(day, series.start_local.time()))


def record_exception(dbsession: Session, lesson: Lesson) -> None:
    """A cancelled occurrence leaves an EXDATE on its series (call after cancelling it)."""
    if lesson.series_id is None:
        return
    series = dbsession.get(LessonSeries, lesson.series_id)
    if series is None:
        return
    value = exdate_for(series, occurrence_date(series, lesson))
    if value not in (series.exdates or []):
        # A new list: the JSON column only notices assignment.
        series.exdates = sorted([*(series.exdates or []), value])
        dbsession.flush()
