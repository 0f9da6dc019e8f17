"""Bodies and documents the knowledge tests share."""

from __future__ import annotations

from typing import Any


def theory_body(subject_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "type": "theory",
        "title": "Fractions",
        "subject_id": subject_id,
        "content": {"markdown": "# Fractions"},
        **fields,
    }


def element_body(subject_id: int, type_: str, content: dict[str, Any], **fields: Any):
    return {
        "type": type_,
        "title": f"A {type_}",
        "subject_id": subject_id,
        "content": content,
        **fields,
    }


VALID_CONTENT = {
    "theory": {"markdown": "# Halves\n\n  1/2 of 4 is 2."},
    "video": {"url": "https://video.example/halves.mp4", "duration_seconds": 300},
    "quick_question": {
        "question": "Which are halves?",
        "choices": ["1/2", "2/4", "1/3"],
        "correct": [1, 0],
        "explanation": "2/4 = 1/2",
    },
    "text_problem": {"statement": "Explain why 2/4 = 1/2."},
}
SHORT_ANSWER = {"question": "Half of 10?", "accepted_answers": ["5", "five"]}

EXPORT_DOC: dict[str, Any] = {
    "format": "thebot.knowledge.template",
    "version": 1,
    "template": {"title": "Fractions path", "description": "Halves first", "subject": "Math"},
    "elements": [
        {"key": "e1", "type": "theory", "title": "Halves", "content": {"markdown": "Halves"}},
        {
            "key": "e2",
            "type": "quick_question",
            "title": "Check",
            "content": {"question": "1/2 = ?", "choices": ["2/4", "1/3"], "correct": [0]},
            "max_score": 2,
            "tags": ["Fractions"],
        },
        {"key": "e3", "type": "text_problem", "title": "Why", "content": {"statement": "Why?"}},
    ],
    "lessons": [
        {"key": "l1", "title": "Halves", "elements": [{"element": "e1"}, {"element": "e2"}]},
        {
            "key": "l2",
            "title": "Quarters",
            "elements": [{"element": "e3", "required": False}, {"element": "e2"}],
        },
    ],
    "nodes": [
        {"key": "n1", "lesson": "l1", "x": 0, "y": 0},
        {"key": "n2", "lesson": "l2", "x": 200, "y": 0},
    ],
    "dependencies": [{"from": "n1", "to": "n2", "type": "required", "min_score_percent": 60}],
}
