"""What a learner may see of an element, and how a quick question's answer is graded.

An element's ``content`` is rendered from a whitelist per type: keys not listed never reach
a learner, so a new authoring field cannot leak by accident. The answer keys of a quick
question (``correct``, ``accepted_answers``) and its ``explanation`` are added only once the
element is *revealed*: completed, or failed (attempts exhausted).

Short answers compare after Unicode NFKC normalisation, case folding and removing all
whitespace: ``" X = 2 "`` matches ``"x=2"``.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from thebot.errors import Invalid
from thebot.knowledge.models import Element, ElementState, ElementType

PUBLIC_KEYS = {
    ElementType.THEORY.value: ("markdown",),
    ElementType.VIDEO.value: ("url", "duration_seconds"),
    ElementType.QUICK_QUESTION.value: ("question", "choices"),
    ElementType.TEXT_PROBLEM.value: ("statement",),
}
ANSWER_KEYS = ("correct", "accepted_answers", "explanation")
REVEALED_STATES = (ElementState.COMPLETED.value, ElementState.FAILED.value)

SINGLE_CHOICE = "single_choice"
MULTIPLE_CHOICE = "multiple_choice"
SHORT_ANSWER = "short_answer"
MAX_TEXT_ANSWER = 20000
READ_FRACTION = 0.5  # of the estimated minutes: the least time on a theory element
WATCH_THRESHOLD = 0.9  # of a video's duration: watched enough to complete it


def min_read_seconds(element: Element) -> int:
    """Seconds from the start before a theory element may be marked read."""
    return math.ceil(max(element.estimated_minutes, 0) * 60 * READ_FRACTION)


def video_duration(element: Element) -> int:
    value = (element.content or {}).get("duration_seconds") or 0
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def watch_seconds_needed(element: Element) -> int:
    """Credited seconds that complete a video."""
    return math.ceil(video_duration(element) * WATCH_THRESHOLD)


def question_kind(content: dict[str, Any]) -> str:
    """``single_choice``, ``multiple_choice`` (several correct indices) or ``short_answer``."""
    if "choices" in content:
        return MULTIPLE_CHOICE if len(content.get("correct") or ()) > 1 else SINGLE_CHOICE
    return SHORT_ANSWER


def public_content(element: Element, revealed: bool) -> dict[str, Any]:
    """``element.content`` as a learner may see it (answers only when ``revealed``)."""
    content = element.content or {}
    shown = {key: content[key] for key in PUBLIC_KEYS.get(element.type, ()) if key in content}
    if element.type == ElementType.QUICK_QUESTION.value:
        shown["kind"] = question_kind(content)
        if revealed:
            shown.update({key: content[key] for key in ANSWER_KEYS if key in content})
    return shown


def normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def check_shape(element: Element, answer: Any) -> Any:
    """The answer in the shape the element takes, else ``Invalid`` (a 400)."""
    content = element.content or {}
    if element.type == ElementType.TEXT_PROBLEM.value:
        if not isinstance(answer, str) or not answer.strip():
            raise Invalid("answer", "A text problem takes a non-empty text answer")
        if len(answer) > MAX_TEXT_ANSWER:
            raise Invalid("answer", f"At most {MAX_TEXT_ANSWER} characters")
        return answer
    kind = question_kind(content)
    if kind == SHORT_ANSWER:
        if not isinstance(answer, str) or not answer.strip():
            raise Invalid("answer", "This question takes a text answer")
        return answer
    choices = len(content.get("choices") or ())
    if not isinstance(answer, list) or not answer:
        raise Invalid("answer", "This question takes a list of choice indices")
    if any(isinstance(i, bool) or not isinstance(i, int) for i in answer):
        raise Invalid("answer", "Choice indices are integers")
    if any(not 0 <= index < choices for index in answer):
        raise Invalid("answer", f"Choice indices run from 0 to {choices - 1}")
    if len(set(answer)) != len(answer):
        raise Invalid("answer", "Each choice at most once")
    if kind == SINGLE_CHOICE and len(answer) != 1:
        raise Invalid("answer", "This question takes exactly one choice")
    return sorted(answer)


def is_correct(element: Element, answer: Any) -> bool:
    """Grade a quick question's (shape-checked) answer against the stored one: choices as
    an exact set; a short answer against any accepted answer (see the module docstring)."""
    content = element.content or {}
    if question_kind(content) == SHORT_ANSWER:
        given = normalise(answer)
        return any(given == normalise(str(ok)) for ok in content.get("accepted_answers") or ())
    return set(answer) == {int(i) for i in content.get("correct") or ()}
