"""The late policy, table by table: every combination of allow_late x penalty type x
frequency x cap x lateness, with the expected penalties worked out by hand (exact Decimal)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal as D

import pytest

from thebot.assignments.late_policy import (
    Lateness,
    Policy,
    SubmissionRefused,
    Window,
    apply_penalty,
    check_window,
    effective_deadlines,
    evaluate,
    lateness,
    started_periods,
)

UTC = dt.timezone.utc
DUE = dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LATE_DEADLINE = DUE + dt.timedelta(days=4)
S = dt.timedelta(seconds=1)
H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
MAX = D("80")
RAW = D("70")

# Lateness after the due date; the last one is past the 4-day late deadline.
LATENESS = {
    "on_time": dt.timedelta(0),
    "1s": S,
    "1h1s": H + S,
    "1d1s": DAY + S,
    "3d": 3 * DAY,
    "past_late_deadline": 4 * DAY + S,
}
LATE_SECONDS = {"on_time": 0, "1s": 1, "1h1s": 3601, "1d1s": 86401, "3d": 259200}

# Penalties in points for raw 70 / max 80, by (type, capped, frequency), for the lateness
# keys in order on_time, 1s, 1h1s, 1d1s, 3d. Worked out by hand:
# - percentage 10 % of 80 = 8 points per started period; cap 25 % = 20 points;
# - fixed 5 points per started period; cap 12 points;
# - started days: 0, 1, 1, 2, 3; started hours: 0, 1, 2, 25, 72;
# - never more than the raw score (70).
PENALTIES = {
    (None, False, "per_day"): ["0", "0", "0", "0", "0"],
    (None, False, "per_hour"): ["0", "0", "0", "0", "0"],
    (None, True, "per_day"): ["0", "0", "0", "0", "0"],
    (None, True, "per_hour"): ["0", "0", "0", "0", "0"],
    ("percentage", False, "per_day"): ["0", "8", "8", "16", "24"],
    ("percentage", False, "per_hour"): ["0", "8", "16", "70", "70"],
    ("percentage", True, "per_day"): ["0", "8", "8", "16", "20"],
    ("percentage", True, "per_hour"): ["0", "8", "16", "20", "20"],
    ("fixed", False, "per_day"): ["0", "5", "5", "10", "15"],
    ("fixed", False, "per_hour"): ["0", "5", "10", "70", "70"],
    ("fixed", True, "per_day"): ["0", "5", "5", "10", "12"],
    ("fixed", True, "per_hour"): ["0", "5", "10", "12", "12"],
}
VALUES = {None: D("0"), "percentage": D("10"), "fixed": D("5")}
CAPS = {None: None, "percentage": D("25"), "fixed": D("12")}


def policy(kind, capped, frequency):
    return Policy(
        max_score=MAX,
        penalty_type=kind,
        penalty_value=VALUES[kind],
        penalty_frequency=frequency if kind else None,
        max_penalty=CAPS[kind] if capped else None,
    )


COMBINATIONS = list(
    itertools.product(
        [False, True],
        [None, "percentage", "fixed"],
        ["per_day", "per_hour"],
        [False, True],
        list(LATENESS),
    )
)


@pytest.mark.parametrize(("allow_late", "kind", "frequency", "capped", "when"), COMBINATIONS)
def test_every_combination(allow_late, kind, frequency, capped, when):
    window = Window(
        due_at=DUE, allow_late=allow_late, late_deadline=LATE_DEADLINE if allow_late else None
    )
    submitted_at = DUE + LATENESS[when]
    refused = when == "past_late_deadline" or (not allow_late and when != "on_time")
    if refused:
        with pytest.raises(SubmissionRefused) as info:
            evaluate(policy(kind, capped, frequency), window, submitted_at, RAW)
        expected = "past_late_deadline" if allow_late else "past_due"
        assert info.value.reason == expected
        return
    outcome = evaluate(policy(kind, capped, frequency), window, submitted_at, RAW)
    penalty = D(PENALTIES[(kind, capped, frequency)][list(LATE_SECONDS).index(when)])
    assert outcome.is_late is (when != "on_time")
    assert outcome.lateness_seconds == LATE_SECONDS[when]
    assert outcome.penalty == penalty
    assert outcome.final_score == RAW - penalty
    assert str(outcome.penalty) == str(penalty.quantize(D("0.01")))  # two places, exactly


@pytest.mark.parametrize(
    ("seconds", "frequency", "periods"),
    [
        (0, "per_hour", 0),
        (1, "per_hour", 1),
        (3599, "per_hour", 1),
        (3600, "per_hour", 1),  # exactly one hour late: one hour
        (3601, "per_hour", 2),  # 1 h 0 min 1 s late: two started hours
        (7200, "per_hour", 2),
        (1, "per_day", 1),
        (86400, "per_day", 1),
        (86401, "per_day", 2),
        (3 * 86400, "per_day", 3),
    ],
)
def test_started_periods_round_up(seconds, frequency, periods):
    assert started_periods(seconds, frequency) == periods


@pytest.mark.parametrize(
    ("delta", "is_late", "seconds"),
    [
        (dt.timedelta(0), False, 0),
        (-S, False, 0),
        (dt.timedelta(milliseconds=200), True, 1),  # a fraction of a second is a second
        (S, True, 1),
        (dt.timedelta(seconds=1, microseconds=1), True, 2),
        (H, True, 3600),
    ],
)
def test_lateness_is_whole_seconds_rounded_up(delta, is_late, seconds):
    assert lateness(DUE, DUE + delta) == Lateness(is_late=is_late, lateness_seconds=seconds)


@pytest.mark.parametrize(
    ("max_score", "kind", "value", "frequency", "cap", "seconds", "raw", "penalty", "final"),
    [
        # 7 * 2.5 % * 3 started hours = 0.525 -> 0.53 (half up, once, at the end)
        ("7", "percentage", "2.5", "per_hour", None, 3 * 3600, "5", "0.53", "4.47"),
        # 80 * 3.33 % = 2.664 -> 2.66
        ("80", "percentage", "3.33", "per_day", None, 86400, "70", "2.66", "67.34"),
        # 80 * 12.5 % * 2 = 20
        ("80", "percentage", "12.5", "per_hour", None, 7200, "70", "20.00", "50.00"),
        # 100 % of the max score is more than the raw score: final 0, never negative
        ("80", "percentage", "100", "per_day", None, 1, "70", "70.00", "0.00"),
        # the cap is in percent of the max score: 3 * 10 % capped at 15 % = 12 points
        ("80", "percentage", "10", "per_day", "15", 3 * 86400, "70", "12.00", "58.00"),
        ("80", "fixed", "2.5", "per_hour", "6", 3599, "70", "2.50", "67.50"),
        ("80", "fixed", "2.5", "per_hour", "6", 3 * 3600, "70", "6.00", "64.00"),
        ("80", "fixed", "0", "per_hour", None, 10 * 3600, "70", "0.00", "70.00"),
        ("80", "fixed", "5", "per_day", "0", 5 * 86400, "70", "0.00", "70.00"),
        ("80", "fixed", "5", "per_day", None, 86400, "0", "0.00", "0.00"),
        ("80", "fixed", "5", "per_day", None, 86400, "3.25", "3.25", "0.00"),
        ("80", None, "0", None, None, 9 * 86400, "70", "0.00", "70.00"),
    ],
)
def test_penalty_arithmetic(max_score, kind, value, frequency, cap, seconds, raw, penalty, final):
    rule = Policy(
        max_score=D(max_score),
        penalty_type=kind,
        penalty_value=D(value),
        penalty_frequency=frequency,
        max_penalty=D(cap) if cap is not None else None,
    )
    outcome = apply_penalty(rule, seconds, D(raw))
    assert (str(outcome.penalty), str(outcome.final_score)) == (penalty, final)
    assert outcome.penalty + outcome.final_score == D(raw)


@pytest.mark.parametrize(
    ("start", "allow_late", "late_deadline", "at", "reason"),
    [
        (DUE - DAY, False, None, DUE - DAY - S, "not_started"),
        (DUE - DAY, False, None, DUE - DAY, None),  # exactly at the start: open
        (None, False, None, DUE, None),  # exactly at the due date: on time
        (None, False, None, DUE + S, "past_due"),
        (None, True, None, DUE + 30 * DAY, None),  # no late deadline: open until closed
        (None, True, LATE_DEADLINE, LATE_DEADLINE, None),  # exactly at the late deadline
        (None, True, LATE_DEADLINE, LATE_DEADLINE + S, "past_late_deadline"),
        (DUE - DAY, True, LATE_DEADLINE, DUE - 2 * DAY, "not_started"),
    ],
)
def test_submission_window(start, allow_late, late_deadline, at, reason):
    window = Window(due_at=DUE, start_at=start, allow_late=allow_late, late_deadline=late_deadline)
    if reason is None:
        check_window(window, at)
    else:
        with pytest.raises(SubmissionRefused) as info:
            check_window(window, at)
        assert info.value.reason == reason
        assert str(info.value)  # a message for the problem body


@pytest.mark.parametrize(
    ("late_deadline", "ext_due", "ext_late", "expected"),
    [
        (None, None, None, (DUE, None)),
        (LATE_DEADLINE, None, None, (DUE, LATE_DEADLINE)),
        (None, DUE + 2 * DAY, None, (DUE + 2 * DAY, None)),
        # the grace period (4 days) moves with the due date
        (LATE_DEADLINE, DUE + 2 * DAY, None, (DUE + 2 * DAY, LATE_DEADLINE + 2 * DAY)),
        # the extension's own late deadline wins
        (LATE_DEADLINE, DUE + 2 * DAY, DUE + 3 * DAY, (DUE + 2 * DAY, DUE + 3 * DAY)),
    ],
)
def test_effective_deadlines_with_extensions(late_deadline, ext_due, ext_late, expected):
    assert effective_deadlines(DUE, late_deadline, ext_due, ext_late) == expected


def test_unknown_policy_values_are_programming_errors():
    with pytest.raises(ValueError):
        started_periods(10, "per_week")
    with pytest.raises(ValueError):
        apply_penalty(Policy(MAX, "bonus", D("1"), "per_day"), 10, RAW)
    with pytest.raises(ValueError):
        apply_penalty(Policy(MAX, "fixed", D("1"), None), 10, RAW)
