"""A lesson (node) of a student graph, and an element of it, as the caller relates to the
graph (``GraphResource``): a node outside the graph, or an element outside the node's
lesson, is a 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from thebot.errors import NotFound
from thebot.knowledge.models import GraphNode, LessonElement
from thebot.knowledge.resources import GraphResource, path_id


class LessonNodeResource(GraphResource):
    def __init__(self, request: Any):
        super().__init__(request)
        self.node: GraphNode | None = None
        self.element_id: int | None = None
        if self.graph is None:
            return
        dbsession = request.dbsession
        node = dbsession.get(GraphNode, path_id(request, "node_id"))
        if node is None or node.graph_id != self.graph.id:
            raise NotFound("No such lesson in this graph.")
        self.node = node
        if "element_id" in request.matchdict:
            element_id = path_id(request, "element_id")
            placed = dbsession.scalar(
                select(
                    exists().where(
                        LessonElement.lesson_id == node.lesson_id,
                        LessonElement.element_id == element_id,
                    )
                )
            )
            if not placed:
                raise NotFound("No such element in this lesson.")
            self.element_id = element_id
