"""The late policy as pure functions: when a submission is accepted, how late it is, and the
penalty a late one pays. No database, no request: every rule here is table-tested.

Definitions (the API documents the same):

- **Window.** Before ``start_at``: refused. Up to and including ``due_at``: on time. After
  ``due_at``: refused unless ``allow_late``; with ``allow_late`` accepted up to and including
  ``late_deadline`` (no late deadline: accepted until the assignment is closed), refused
  after it. ``due_at``/``late_deadline`` are the *effective* ones: a per-student extension
  replaces them (see ``effective_deadlines``).
- **Lateness** is whole seconds after the effective due date, rounded *up*: 0.2 s late is
  1 s late (so a late submission always has ``lateness_seconds >= 1``).
- **Periods** are *started* days (86 400 s) or hours (3 600 s): ``ceil(lateness / period)``.
  1 s late = 1 started hour; exactly 1 h late = 1 hour; 1 h 0 min 1 s late = 2 started hours.
- **Penalty** per started period: ``percentage`` = ``penalty_value`` % of ``max_score``;
  ``fixed`` = ``penalty_value`` points. ``max_penalty`` caps the total and is in the same unit
  as ``penalty_value`` (percent of ``max_score`` or points). No ``penalty_type``: no penalty.
- **Applied penalty** is the capped penalty, but never more than the raw score, so
  ``final_score = raw_score - penalty`` is never below 0 and the three shown figures always
  add up. Arithmetic is exact ``Decimal``; the result is rounded once, half up, to cents.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
PERCENTAGE = "percentage"
FIXED = "fixed"
PER_DAY = "per_day"
PER_HOUR = "per_hour"
PERIOD_SECONDS = {PER_DAY: 86_400, PER_HOUR: 3_600}
ONE_SECOND = dt.timedelta(seconds=1)


class SubmissionRefused(Exception):
    """A submission outside the window; ``reason`` is a stable code, ``str()`` the message."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Policy:
    """The penalty part of an assignment's late policy."""

    max_score: Decimal
    penalty_type: str | None = None
    penalty_value: Decimal = Decimal(0)
    penalty_frequency: str | None = None
    max_penalty: Decimal | None = None


@dataclass(frozen=True)
class Window:
    """When one student may submit: start, (effective) due date and late deadline."""

    due_at: dt.datetime
    start_at: dt.datetime | None = None
    allow_late: bool = False
    late_deadline: dt.datetime | None = None


@dataclass(frozen=True)
class Lateness:
    is_late: bool
    lateness_seconds: int


@dataclass(frozen=True)
class Outcome:
    is_late: bool
    lateness_seconds: int
    penalty: Decimal
    final_score: Decimal


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def policy_of(assignment: Any) -> Policy:
    """The penalty policy of an ``Assignment`` (or anything with its attributes)."""
    return Policy(
        max_score=assignment.max_score,
        penalty_type=assignment.penalty_type,
        penalty_value=assignment.penalty_value or Decimal(0),
        penalty_frequency=assignment.penalty_frequency,
        max_penalty=assignment.max_penalty,
    )


def window_of(assignment: Any, extension: Any) -> Window:
    """When the student with this extension (or none) may submit."""
    due, late = effective_deadlines(
        assignment.due_at,
        assignment.late_deadline,
        extension.due_at if extension is not None else None,
        extension.late_deadline if extension is not None else None,
    )
    return Window(
        due_at=due,
        start_at=assignment.start_at,
        allow_late=assignment.allow_late,
        late_deadline=late,
    )


def score_text(value: Decimal | None) -> str | None:
    """Scores on the wire: a decimal string with two places."""
    return None if value is None else str(cents(Decimal(value)))


def effective_deadlines(
    due_at: dt.datetime,
    late_deadline: dt.datetime | None,
    extension_due_at: dt.datetime | None = None,
    extension_late_deadline: dt.datetime | None = None,
) -> tuple[dt.datetime, dt.datetime | None]:
    """(due date, late deadline) for one student.

    An extension replaces the due date; its own late deadline wins, otherwise the
    assignment's late deadline moves by as much as the due date did (the grace period is
    kept), and stays ``None`` when the assignment has none.
    """
    if extension_due_at is None:
        return due_at, late_deadline
    if extension_late_deadline is not None:
        return extension_due_at, extension_late_deadline
    if late_deadline is None:
        return extension_due_at, None
    return extension_due_at, late_deadline + (extension_due_at - due_at)


def lateness(due_at: dt.datetime, submitted_at: dt.datetime) -> Lateness:
    """How late ``submitted_at`` is: whole seconds after ``due_at``, rounded up."""
    delta = submitted_at - due_at
    if delta <= dt.timedelta(0):
        return Lateness(False, 0)
    whole, rest = divmod(delta, ONE_SECOND)
    return Lateness(True, int(whole) + (1 if rest else 0))


def policy_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, problem) for an inconsistent window or penalty (``values``: the assignment's
    ``start_at``, ``due_at``, ``allow_late``, ``late_deadline`` and penalty fields)."""
    problems = []
    start, due, late = values["start_at"], values["due_at"], values["late_deadline"]
    if start is not None and start >= due:
        problems.append(("start_at", "Must be before due_at"))
    if late is not None:
        if not values["allow_late"]:
            problems.append(("late_deadline", "Only with allow_late: true"))
        elif late <= due:
            problems.append(("late_deadline", "Must be after due_at"))
    kind, frequency = values["penalty_type"], values["penalty_frequency"]
    if (kind is None) != (frequency is None):
        missing = "penalty_frequency" if frequency is None else "penalty_type"
        problems.append((missing, "penalty_type and penalty_frequency go together"))
    if kind is None and (values["penalty_value"] or values["max_penalty"] is not None):
        problems.append(("penalty_type", "Required with a penalty value or maximum"))
    if kind is not None and not values["allow_late"]:
        problems.append(("penalty_type", "A penalty needs allow_late: true"))
    if kind == PERCENTAGE:
        for name in ("penalty_value", "max_penalty"):
            if values[name] is not None and values[name] > HUNDRED:
                problems.append((name, "A percentage is at most 100"))
    return problems


def check_window(window: Window, submitted_at: dt.datetime) -> Lateness:
    """The lateness of a submission at ``submitted_at``; ``SubmissionRefused`` outside."""
    if window.start_at is not None and submitted_at < window.start_at:
        raise SubmissionRefused(
            "not_started", f"Submissions open at {window.start_at.isoformat()}."
        )
    late = lateness(window.due_at, submitted_at)
    if not late.is_late:
        return late
    if not window.allow_late:
        raise SubmissionRefused(
            "past_due",
            f"The due date ({window.due_at.isoformat()}) has passed and late submissions "
            "are not accepted.",
        )
    if window.late_deadline is not None and submitted_at > window.late_deadline:
        raise SubmissionRefused(
            "past_late_deadline",
            f"The late deadline ({window.late_deadline.isoformat()}) has passed.",
        )
    return late


def started_periods(lateness_seconds: int, frequency: str) -> int:
    """Started days or hours in ``lateness_seconds`` (``ceil``; 0 when not late)."""
    if lateness_seconds <= 0:
        return 0
    try:
        period = PERIOD_SECONDS[frequency]
    except KeyError:
        raise ValueError(f"unknown penalty frequency {frequency!r}") from None
    return -(-lateness_seconds // period)


def nominal_penalty(policy: Policy, lateness_seconds: int) -> Decimal:
    """The capped penalty in points for this lateness, before it is limited to the score."""
    if policy.penalty_type is None or lateness_seconds <= 0:
        return Decimal(0)
    if policy.penalty_frequency is None:
        raise ValueError("a penalty type needs a penalty frequency")
    periods = started_periods(lateness_seconds, policy.penalty_frequency)
    value = Decimal(policy.penalty_value) * periods
    cap = policy.max_penalty
    if cap is not None:
        value = min(value, Decimal(cap))
    if policy.penalty_type == PERCENTAGE:
        return Decimal(policy.max_score) * value / HUNDRED
    if policy.penalty_type == FIXED:
        return value
    raise ValueError(f"unknown penalty type {policy.penalty_type!r}")


def apply_penalty(policy: Policy, lateness_seconds: int, raw_score: Decimal) -> Outcome:
    """Raw score -> (penalty, final score) for a submission ``lateness_seconds`` late."""
    raw = Decimal(raw_score)
    penalty = min(cents(nominal_penalty(policy, lateness_seconds)), raw)
    penalty = max(penalty, Decimal(0))
    return Outcome(
        is_late=lateness_seconds > 0,
        lateness_seconds=max(lateness_seconds, 0),
        penalty=cents(penalty),
        final_score=cents(raw - penalty),
    )


def evaluate(
    policy: Policy, window: Window, submitted_at: dt.datetime, raw_score: Decimal
) -> Outcome:
    """Everything at once: window check (``SubmissionRefused``), lateness, penalty, final."""
    late = check_window(window, submitted_at)
    return apply_penalty(policy, late.lateness_seconds, raw_score)
