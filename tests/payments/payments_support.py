"""Helpers of the payments tests (import them from here, never from conftest)."""

from __future__ import annotations

import datetime as dt
from typing import Any

YOOKASSA_IP = "185.71.76.10"  # in YooKassa's published ranges


def invoice_body(student_id: int, *lines: tuple[str, int, str]) -> dict[str, Any]:
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    return {
        "student_id": student_id,
        "due_date": due,
        "description": "November lessons",
        "lines": [
            {"description": d, "quantity": q, "unit_price": p}
            for d, q, p in (lines or [("Lesson", 4, "1250.00")])
        ],
    }
