"""One submitted answer, as the caller relates to its student's graph: those who grade
(``access.GRADE``: the teacher of the subject, the tutor, admins) may grade it; the student
and their parents see the graph but are refused (403); anyone else gets a 404."""

from __future__ import annotations

from typing import Any

from pyramid.authorization import Allow
from sqlalchemy import select

from thebot.errors import NotFound
from thebot.knowledge import access
from thebot.knowledge.models import Answer, ElementProgress, GraphNode, KnowledgeGraph
from thebot.knowledge.resources import DENY_REST, GRAPH_GRANTS, path_id, viewer_of


class AnswerResource:
    def __init__(self, request: Any):
        self.request = request
        self.answer: Answer | None = None
        self.node: GraphNode | None = None
        self.__acl__: list[Any] = [DENY_REST]
        viewer = viewer_of(request)
        if viewer is None or not viewer.is_active:
            return
        found = request.dbsession.execute(
            select(Answer, GraphNode, KnowledgeGraph)
            .join(ElementProgress, ElementProgress.id == Answer.progress_id)
            .join(GraphNode, GraphNode.id == ElementProgress.node_id)
            .join(KnowledgeGraph, KnowledgeGraph.id == GraphNode.graph_id)
            .where(Answer.id == path_id(request))
        ).first()
        relations = access.relations(request.dbsession, viewer, found[2]) if found else None
        if not relations:
            raise NotFound("No such answer.")
        assert found is not None
        self.answer, self.node, self.graph = found
        granted = tuple(GRAPH_GRANTS[a] for a in sorted(access.actions(relations)))
        self.__acl__ = [(Allow, f"user:{viewer.id}", granted), DENY_REST]
