"""Recurrence rules of lesson series: parse and validate an RFC 5545 RRULE, expand it with
python-dateutil at the local wall-clock time, and map local times to UTC.

Only what tutoring needs is accepted: ``FREQ=WEEKLY`` with ``INTERVAL`` 1 (weekly) or 2
(biweekly), optional ``BYDAY`` (plain weekdays) and ``WKST``, and exactly one of ``COUNT`` or
``UNTIL`` (a series never runs forever). A series is capped at ``series_max_occurrences``
occurrences within ``series_max_days`` days of its first one.

Expansion happens on naive local wall-clock times in the series' time zone, so a lesson at
15:00 stays at 15:00 across DST changes (its UTC offset changes instead). Local times are
turned into instants the RFC 5545 way: an ambiguous time (clocks going back) is its first
occurrence and a time in a gap (clocks going forward) uses the offset before the gap, which
is exactly ``zoneinfo`` with ``fold=0``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, replace

from dateutil.rrule import rruleset, rrulestr

UTC = dt.timezone.utc
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
SUPPORTED = ("FREQ", "INTERVAL", "BYDAY", "WKST", "COUNT", "UNTIL")
MAX_RULE_LENGTH = 300
EXPANSION_GUARD = 1000  # never expand more than this, whatever the settings say
UNTIL_RE = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")
LOCAL_FORMAT = "%Y%m%dT%H%M%S"


class RuleError(ValueError):
    """The RRULE (or the series it would make) is not acceptable; the message says why."""


@dataclass(frozen=True)
class Rule:
    """A validated weekly rule. ``until`` is an aware UTC instant (RFC 5545 form)."""

    interval: int = 1
    byday: tuple[str, ...] = ()
    wkst: str | None = None
    count: int | None = None
    until: dt.datetime | None = None

    def text(self) -> str:
        """The canonical RRULE value as stored on the series (``UNTIL`` in UTC)."""
        parts = ["FREQ=WEEKLY"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.byday:
            parts.append("BYDAY=" + ",".join(self.byday))
        if self.wkst:
            parts.append(f"WKST={self.wkst}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append("UNTIL=" + self.until.astimezone(UTC).strftime(LOCAL_FORMAT) + "Z")
        return ";".join(parts)

    def with_until(self, until: dt.datetime) -> Rule:
        return replace(self, count=None, until=until.astimezone(UTC))

    def with_count(self, count: int) -> Rule:
        return replace(self, count=count, until=None)


def parse_rule(text: str, timezone: str) -> Rule:
    """Parse an RRULE value (``RRULE:`` prefix optional); ``RuleError`` names the problem."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError("Give a recurrence rule like FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10")
    value = text.strip()
    if len(value) > MAX_RULE_LENGTH:
        raise RuleError(f"The rule is longer than {MAX_RULE_LENGTH} characters")
    if value.upper().startswith("RRULE:"):
        value = value[len("RRULE:") :]
    parts: dict[str, str] = {}
    for chunk in value.split(";"):
        name, sep, part = chunk.partition("=")
        name = name.strip().upper()
        if not sep or not name or not part.strip():
            raise RuleError(f"{chunk!r} is not NAME=VALUE")
        if name not in SUPPORTED:
            raise RuleError(
                f"{name} is not supported: use FREQ=WEEKLY with INTERVAL (1 or 2), BYDAY, "
                "and COUNT or UNTIL"
            )
        if name in parts:
            raise RuleError(f"{name} is given twice")
        parts[name] = part.strip().upper()
    if parts.get("FREQ") != "WEEKLY":
        raise RuleError("Only weekly series are supported: FREQ=WEEKLY (INTERVAL=2 for biweekly)")
    interval = _integer(parts.get("INTERVAL", "1"), "INTERVAL")
    if interval not in (1, 2):
        raise RuleError("INTERVAL must be 1 (weekly) or 2 (biweekly)")
    byday: tuple[str, ...] = ()
    if "BYDAY" in parts:
        days = [d.strip() for d in parts["BYDAY"].split(",")]
        if any(d not in WEEKDAYS for d in days):
            raise RuleError("BYDAY lists weekdays: MO, TU, WE, TH, FR, SA, SU (no ordinals)")
        if len(set(days)) != len(days):
            raise RuleError("BYDAY lists a weekday twice")
        byday = tuple(sorted(days, key=WEEKDAYS.index))
    wkst = parts.get("WKST")
    if wkst is not None and wkst not in WEEKDAYS:
        raise RuleError("WKST must be a weekday: MO, TU, WE, TH, FR, SA or SU")
    if ("COUNT" in parts) == ("UNTIL" in parts):
        raise RuleError("Give exactly one of COUNT or UNTIL: a series must end")
    count = until = None
    if "COUNT" in parts:
        count = _integer(parts["COUNT"], "COUNT")
        if count < 1:
            raise RuleError("COUNT must be at least 1")
    else:
        until = _parse_until(parts["UNTIL"], timezone)
    return Rule(interval=interval, byday=byday, wkst=wkst, count=count, until=until)


def _integer(value: str, name: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        raise RuleError(f"{name} must be a whole number")
    return int(value)


def _parse_until(value: str, timezone: str) -> dt.datetime:
    """``UNTIL`` as a UTC instant: ``...Z`` is UTC, a floating time or a date is local (a date
    means the end of that day, so the series includes it)."""
    match = UNTIL_RE.match(value)
    if match is None:
        raise RuleError("UNTIL must look like 20270531, 20270531T235959 or 20270531T205959Z")
    date_text, time_text, zulu = match.groups()
    try:
        if time_text is None:
            local = dt.datetime.strptime(date_text, "%Y%m%d") + dt.timedelta(days=1, seconds=-1)
        else:
            local = dt.datetime.strptime(date_text + "T" + time_text, LOCAL_FORMAT)
    except ValueError as exc:
        raise RuleError("UNTIL is not a real date") from exc
    try:
        until = local.replace(tzinfo=UTC) if zulu else to_utc(local, timezone)
        to_local(until, timezone)  # expanding the rule converts it back
    except OverflowError:  # 9999-12-31 west of UTC is in year 10000 there (or east, back)
        raise RuleError("UNTIL is out of range") from None
    return until


def to_utc(local: dt.datetime, timezone: str) -> dt.datetime:
    """A naive wall-clock time in ``timezone`` as a UTC instant (RFC 5545 gap/overlap rules)."""
    return local.replace(tzinfo=zoneinfo.ZoneInfo(timezone), fold=0).astimezone(UTC)


def to_local(instant: dt.datetime, timezone: str) -> dt.datetime:
    """An aware instant as a naive wall-clock time in ``timezone``."""
    return instant.astimezone(zoneinfo.ZoneInfo(timezone)).replace(tzinfo=None)


def expand(
    rule: Rule,
    start_local: dt.datetime,
    timezone: str,
    exdates: Iterable[dt.datetime] = (),
    *,
    limit: int = EXPANSION_GUARD,
) -> list[dt.datetime]:
    """The rule's occurrences (naive local times) from ``start_local``, without ``exdates``.

    dateutil does the expansion; ``UNTIL`` (stored in UTC) is given to it as the local
    wall-clock time of that instant, since the expansion runs on local times.
    """
    text = rule.text()
    if rule.until is not None:
        local_until = to_local(rule.until, timezone).strftime(LOCAL_FORMAT)
        text = text.replace(rule.until.strftime(LOCAL_FORMAT) + "Z", local_until)
    recurrence = rruleset()
    recurrence.rrule(rrulestr(text, dtstart=start_local))
    for exdate in exdates:
        recurrence.exdate(exdate)
    return list(itertools.islice(recurrence, limit))


def check_caps(occurrences: list[dt.datetime], max_occurrences: int, max_days: int) -> None:
    """At least one occurrence, at most ``max_occurrences``, all within ``max_days``."""
    if not occurrences:
        raise RuleError("The rule has no occurrence on or after the start")
    if len(occurrences) > max_occurrences:
        raise RuleError(
            f"The series would have {len(occurrences)} or more occurrences; "
            f"at most {max_occurrences} are allowed"
        )
    span = occurrences[-1] - occurrences[0]
    if span > dt.timedelta(days=max_days):
        raise RuleError(
            f"The series would run until {occurrences[-1].date().isoformat()}; "
            f"a series may span at most {max_days} days"
        )


def occurrences_before(rule: Rule, start_local: dt.datetime, timezone: str, day: dt.date) -> int:
    """How many occurrences of the rule (exceptions included, as ``COUNT`` counts) come
    before local date ``day``."""
    return sum(1 for t in expand(rule, start_local, timezone) if t.date() < day)


def exdate_text(local: dt.datetime) -> str:
    return local.replace(microsecond=0).isoformat()


def parse_exdates(values: Iterable[str]) -> list[dt.datetime]:
    return [dt.datetime.fromisoformat(v) for v in values]
