"""An RRULE ``UNTIL`` at the end of the calendar is a 400 naming the rule, not an overflow
(converted to UTC west of Greenwich, or back to local time east of it, it leaves year 9999)."""

from __future__ import annotations

import pytest
from lessons_support import make_world
from series_support import SERIES, series_body

from thebot.scheduling.rrule import RuleError, parse_rule


@pytest.mark.parametrize(
    ("until", "timezone"),
    [
        ("99991231", "America/New_York"),
        ("99991231T235959", "Etc/GMT+12"),
        ("99991231T235959Z", "Europe/Moscow"),
        ("99991231T235959Z", "Pacific/Kiritimati"),
    ],
)
def test_until_beyond_the_calendar_is_a_rule_error(until, timezone):
    with pytest.raises(RuleError, match="UNTIL is out of range"):
        parse_rule(f"FREQ=WEEKLY;UNTIL={until}", timezone)


@pytest.mark.parametrize(
    ("until", "timezone"),
    [("99991231", "America/New_York"), ("99991231T235959Z", "Europe/Moscow")],
)
def test_a_series_until_beyond_the_calendar_is_400(
    testapp, make_user, auth_headers, until, timezone
):
    world = make_world(make_user)
    body = series_body(world, rrule=f"FREQ=WEEKLY;UNTIL={until}", timezone=timezone)
    response = testapp.post_json(SERIES, body, headers=auth_headers(world.teacher), status=400)
    assert response.content_type == "application/problem+json"
    assert [e["name"] for e in response.json["errors"]] == ["rrule"]
