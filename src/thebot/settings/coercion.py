"""Setting declarations and the coercers that turn ini/environment text into typed values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on", "y", "t"}:
        return True
    if text in {"0", "false", "no", "off", "n", "f", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def as_list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").replace(",", " ").split() if part.strip()]


def as_int(value: Any) -> int:
    return int(str(value).strip())


def as_positive(value: Any) -> int:
    number = as_int(value)
    if number < 1:
        raise ValueError(f"must be at least 1: {value!r}")
    return number


def as_non_negative(value: Any) -> int:
    number = as_int(value)
    if number < 0:
        raise ValueError(f"must be 0 or more: {value!r}")
    return number


def as_optional_str(value: Any) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def as_rate_limit(value: Any) -> str:
    """One ``limits`` rate such as ``500/hour`` or ``20 per second`` (validated, kept as text)."""
    from limits import parse_many

    text = str(value).strip()
    items = parse_many(text)  # ValueError naming the string when it is not a rate
    if len(items) != 1 or items[0].amount < 1:
        raise ValueError(f"not a single positive rate limit: {value!r}")
    return text


@dataclass(frozen=True)
class Setting:
    name: str
    env: str | None
    default: Any
    coerce: Callable[[Any], Any]
    doc: str
    production: str = ""


def as_choice(value: Any, choices: tuple[str, ...]) -> str | None:
    """One of ``choices`` (case-insensitive), or ``None`` when empty (the default applies)."""
    text = as_optional_str(value)
    if text is None:
        return None
    if text.lower() not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return text.lower()
