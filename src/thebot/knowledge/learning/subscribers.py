"""In the transaction of an unlock or a grade: an in-app notification to the student
(category ``knowledge``; email only if they switch it on). The events also reach the
student's sockets after commit (``config.add_realtime_event`` in ``thebot.knowledge``)."""

from __future__ import annotations

import logging

from thebot.accounts.models import User
from thebot.events import Committing
from thebot.knowledge.events import AnswerGraded, LessonUnlocked
from thebot.knowledge.models import Element
from thebot.notifications.service import notify

log = logging.getLogger(__name__)
CATEGORY = "knowledge"
UNLOCKED = "knowledge.lesson_unlocked"
GRADED = "knowledge.answer_graded"


def tell_lesson_unlocked(committing: Committing, event: LessonUnlocked) -> None:
    request = committing.request
    if request is None:  # a bare session (a script): nobody to tell through a request
        log.debug("lesson unlocked without a request: no notification (%s)", event)
        return
    student = committing.dbsession.get(User, event.student_id)
    if student is None:
        return
    data = {"graph_id": event.graph_id, "node_id": event.node_id, "lesson_id": event.lesson_id}
    notify(
        request,
        student,
        UNLOCKED,
        f"New lesson unlocked: {event.title}",
        "Its prerequisites are done: you can start it now.",
        data=data,
    )


def tell_answer_graded(committing: Committing, event: AnswerGraded) -> None:
    request = committing.request
    if request is None:
        log.debug("answer graded without a request: no notification (%s)", event)
        return
    dbsession = committing.dbsession
    student = dbsession.get(User, event.student_id)
    element = dbsession.get(Element, event.element_id)
    if student is None or element is None:
        return
    data = {
        "answer_id": event.answer_id,
        "graph_id": event.graph_id,
        "node_id": event.node_id,
        "element_id": event.element_id,
        "score": event.score,
    }
    notify(
        request,
        student,
        GRADED,
        f"Your answer to {element.title} was graded: {event.score}/{element.max_score}",
        "Open the lesson to read the feedback.",
        data=data,
    )
