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
    config.scan("thebot.knowledge")
