"""The test school is what the RBAC matrices assume (``tests/knowledge/conftest.py``)."""

from __future__ import annotations

from thebot.knowledge import access
from thebot.knowledge.models import LessonProgress


def test_school_relations_to_the_students_graph(school, make_graph, dbsession) -> None:
    made = make_graph(school, student=school.S, lessons=2, edges=[(0, 1, "required", 50)])
    relations = {
        name: access.relations(dbsession, user, made.graph) for name, user in school.people.items()
    }
    assert relations == {
        "E": {access.TEACHER},
        "E2": set(),
        "T": {access.TUTOR},
        "T2": set(),
        "S": {access.STUDENT},
        "S2": set(),
        "P": {access.PARENT},
        "P2": set(),
        "A": {access.ADMIN},
    }
    authors = {n for n, u in school.people.items() if access.can_author(dbsession, u, school.x.id)}
    assert authors == {"E", "E2", "A"}
    builders = {
        n
        for n, u in school.people.items()
        if access.can_build_graph(dbsession, u, school.S.id, school.x.id)
    }
    assert builders == {"E", "T", "A"}
    rows = dbsession.query(LessonProgress).filter_by(graph_id=made.graph.id).all()
    assert sorted((r.node_id, r.state) for r in rows) == [
        (made.nodes[0].id, "unlocked"),
        (made.nodes[1].id, "locked"),
    ]
