"""Knowledge graph: authored elements and lessons, graph templates per subject, per-student
learning paths whose prerequisites are enforced on the server, server-side grading, a
review queue for text problems, and ``knowledge.lesson_unlocked`` after commit.

Sub-domains: ``elements``, ``lessons``, ``templates`` (graph templates, export/import),
``graphs`` (per-student graphs, propagation from templates), ``learning`` (the student's
actions, grading, unlocking), ``review`` (teachers grade text problems), ``overview``
(students x lessons matrix, CSV). Who may do what is in ``access``.
"""

from __future__ import annotations

from typing import Any


def includeme(config: Any) -> None:
    from thebot.events import Committing
    from thebot.knowledge.events import KNOWLEDGE_EVENTS, AnswerGraded, LessonUnlocked
    from thebot.knowledge.learning.subscribers import (
        CATEGORY,
        tell_answer_graded,
        tell_lesson_unlocked,
    )
    from thebot.knowledge.overview.rows import REGISTRY_KEY, OverviewRows

    config.include("thebot.notifications")  # config.add_notification_category
    config.add_notification_category(
        CATEGORY, "Knowledge graph: lessons unlocked, text answers graded", email=False
    )
    config.add_subscriber(tell_lesson_unlocked, [Committing, LessonUnlocked])
    config.add_subscriber(tell_answer_graded, [Committing, AnswerGraded])
    config.include("thebot.realtime")  # config.add_realtime_event: to the student's sockets
    for event_class in KNOWLEDGE_EVENTS:
        config.add_realtime_event(event_class)
    config.registry[REGISTRY_KEY] = OverviewRows(
        config.registry["cache_regions"]["default"],
        config.get_settings()["knowledge_overview_local_rows"],
    )
    config.scan("thebot.knowledge")
