"""Student graphs: built from a template or empty, states on read, the re-lock rule on a
structural change, propagation that keeps progress, and constant-query reads."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from thebot.events import EVENTS_KEY
from thebot.knowledge.models import ElementProgress, LessonProgress
from thebot.knowledge.structure import service as structure


@pytest.fixture
def path(school, make_lesson, make_graph):
    """A template A -> B (required, 50%), A -> C (recommended); D stands alone."""
    lessons = [make_lesson(school.x, school.E, title=t) for t in "ABCD"]
    return make_graph(
        school, lessons=lessons, edges=[(0, 1, "required", 50), (0, 2, "recommended", 0)]
    )


def build(api, user, student, template_id, status=201):
    body = {"student_id": student.id, "template_id": template_id}
    return api.post("graphs/", user, body, status=status)


def states(graph):
    return {n["title"]: n["state"] for n in graph["nodes"]}


def test_a_graph_from_a_template_opens_lessons_without_required_prerequisites(school, api, path):
    made = build(api, school.E, school.S, path.graph.id)
    graph = made.json
    assert made.headers["Location"].endswith(f"/api/knowledge/graphs/{graph['id']}/")
    assert states(graph) == {"A": "unlocked", "B": "locked", "C": "unlocked", "D": "unlocked"}
    assert (graph["student_id"], graph["template_id"]) == (school.S.id, path.graph.id)
    assert graph["version"] == path.graph.version
    assert graph["lesson_count"] == 4 and graph["completed_count"] == 0
    assert [d["type"] for d in graph["dependencies"]] == ["required", "recommended"]
    assert api.get(f"graphs/{graph['id']}/", school.P).json == graph


def test_one_graph_per_student_and_template(school, api, path):
    first = build(api, school.E, school.S, path.graph.id).json
    again = build(api, school.T, school.S, path.graph.id, status=409)
    assert again.json["graph_id"] == first["id"]


def test_the_students_tutor_builds_from_a_template_of_the_subject(school, api, path):
    graph = build(api, school.T, school.S, path.graph.id).json
    assert graph["author_id"] == school.T.id


def test_an_empty_graph_in_a_subject(school, api):
    body = {"student_id": school.S.id, "subject_id": school.x.id, "title": "Extra work"}
    graph = api.post("graphs/", school.E, body).json
    assert (graph["nodes"], graph["template_id"], graph["title"]) == ([], None, "Extra work")


@pytest.mark.parametrize(
    "body",
    [
        {"student_id": "S"},
        {"student_id": "S", "template_id": "T", "subject_id": "X"},
        {"student_id": "S", "template_id": 999_999},
        {"student_id": "E", "subject_id": "X"},
        {"student_id": 999_999, "subject_id": "X"},
        {"student_id": "S", "subject_id": "X", "extra": 1},
    ],
)
def test_refused_bodies_are_400(body, school, api, path):
    names = {"S": school.S.id, "E": school.E.id, "T": path.graph.id, "X": school.x.id}
    resolved = {k: names.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    api.post("graphs/", school.A, resolved, status=400)


def test_only_for_a_student_enrolled_in_the_subject(school, api, path, make_user):
    stranger = make_user("student", profile={"tutor_id": school.T.id})
    build(api, school.T, stranger, path.graph.id, status=403)
    build(api, school.A, stranger, path.graph.id, status=403)


@pytest.mark.parametrize("role", ["E", "E2", "T", "T2", "P"])
def test_an_unknown_student_and_someone_elses_look_the_same(role, school, api, path, make_user):
    """The relationship rule of every endpoint that creates one (tests/test_relationship_
    matrix.py): an unrelated person's id and an id of nobody get the same answer."""
    caller = school.people[role]
    stranger = make_user("student")
    body = {"template_id": path.graph.id}
    unrelated = api.post("graphs/", caller, {**body, "student_id": stranger.id}, status=403)
    nobody = api.post("graphs/", caller, {**body, "student_id": 10**9}, status=403)
    assert unrelated.json["detail"] == nobody.json["detail"]


def test_adding_a_required_dependency_relocks_a_lesson_not_started(school, api, path, dbsession):
    graph = build(api, school.E, school.S, path.graph.id).json
    ids = {n["title"]: n["id"] for n in graph["nodes"]}
    base = f"graphs/{graph['id']}/"
    started = dbsession.query(LessonProgress).filter_by(node_id=ids["C"]).one()
    started.state = "in_progress"
    dbsession.flush()
    for target in ("C", "D"):
        body = {"from_node_id": ids["B"], "to_node_id": ids[target], "type": "required"}
        api.post(base + "dependencies/", school.T, body)
    after = states(api.get(base, school.S).json)
    assert after == {"A": "unlocked", "B": "locked", "C": "in_progress", "D": "locked"}
    required = next(
        d for d in api.get(base, school.E).json["dependencies"] if d["to_node_id"] == ids["D"]
    )
    api.patch(base + f"dependencies/{required['id']}/", school.E, {"type": "optional"})
    assert states(api.get(base, school.S).json)["D"] == "unlocked"


def test_an_unlock_by_a_structural_change_is_announced(school, path, dbsession, make_graph):
    made = make_graph(school, student=school.S, lessons=2, edges=[(0, 1, "required", 0)])
    dbsession.info.pop(EVENTS_KEY, None)
    dependency = made.edges[0]
    structure.remove_dependency(dbsession, made.graph, dependency)
    events = dbsession.info.get(EVENTS_KEY, [])
    assert [(e.name, e.node_id, e.student_id) for e in events] == [
        ("knowledge.lesson_unlocked", made.nodes[1].id, school.S.id)
    ]


def test_a_node_added_to_a_student_graph_gets_a_state(school, api, path, make_lesson):
    graph = build(api, school.E, school.S, path.graph.id).json
    extra = make_lesson(school.x, school.E2, title="Extra")  # shared by another author
    node = api.post(f"graphs/{graph['id']}/nodes/", school.T, {"lesson_id": extra.id}).json
    assert (node["state"], node["title"], node["max_score"]) == ("unlocked", "Extra", 2)


def test_a_lesson_change_moves_the_maximum_score_in_graphs(school, api, path, dbsession):
    graph = build(api, school.E, school.S, path.graph.id).json
    lesson = path.lessons[0]
    api.patch(f"lessons/{lesson.id}/", school.E, {"elements": []})
    node = next(
        n for n in api.get(f"graphs/{graph['id']}/", school.S).json["nodes"] if n["title"] == "A"
    )
    assert node["max_score"] == 0 and node["totals"]["element_count"] == 0


# --- propagation ----------------------------------------------------------------------


def complete(dbsession, graph_id, node_id, score, max_score):
    row = dbsession.query(LessonProgress).filter_by(graph_id=graph_id, node_id=node_id).one()
    row.state, row.score, row.max_score = "completed", score, max_score
    dbsession.flush()


@pytest.fixture
def learners(school, api, path, dbsession):
    """S (started B after completing A) and S2 (nothing started) have graphs of ``path``."""
    s = build(api, school.E, school.S, path.graph.id).json
    s2 = build(api, school.E2, school.S2, path.graph.id).json
    ids = {n["title"]: n["id"] for n in s["nodes"]}
    complete(dbsession, s["id"], ids["A"], 2, 2)
    from thebot.knowledge.states import refresh_graph

    refresh_graph(dbsession, dbsession.get(type(path.graph), s["id"]), announce=False)
    row = dbsession.query(LessonProgress).filter_by(node_id=ids["B"]).one()
    assert row.state == "unlocked"
    row.state = "in_progress"
    dbsession.add(
        ElementProgress(
            node_id=ids["B"],
            element_id=_first_element(dbsession, path.lessons[1].id),
            student_id=school.S.id,
            state="completed",
            score=1,
        )
    )
    dbsession.flush()
    return SimpleNamespace(s=s, s2=s2, ids=ids)


def _first_element(dbsession, lesson_id):
    from thebot.knowledge.models import LessonElement

    return dbsession.query(LessonElement).filter_by(lesson_id=lesson_id).first().element_id


def test_propagation_applies_the_template_and_keeps_progress(
    school, api, path, learners, make_lesson, dbsession
):
    base = f"templates/{path.graph.id}/"
    node_a, node_b, node_c, node_d = (n.id for n in path.nodes)
    new = make_lesson(school.x, school.E, title="E")
    node_e = api.post(base + "nodes/", school.E, {"lesson_id": new.id}).json["id"]
    api.post(base + "dependencies/", school.E, {"from_node_id": node_a, "to_node_id": node_e})
    recommended = path.edges[1].id
    api.patch(
        base + f"dependencies/{recommended}/",
        school.E,
        {"type": "required", "min_score_percent": 90},
    )
    api.delete(base + f"nodes/{node_b}/", school.E)
    api.delete(base + f"nodes/{node_d}/", school.E)
    marked = api.get(f"graphs/{learners.s['id']}/", school.S).json
    assert {n["title"] for n in marked["nodes"] if n["removed_from_template"]} == {"B", "D"}
    outcome = api.post(base + "propagate/", school.E, status=200).json
    template_version = api.get(base, school.E).json["version"]
    assert outcome == {
        "template_version": template_version,
        "graphs": 2,
        "nodes_added": 2,  # E in each graph
        "nodes_removed": 3,  # D in both, B in S2's
        "nodes_kept": 1,  # B in S's: started
        "dependencies_added": 2,
        "dependencies_updated": 2,
        "dependencies_removed": 1,  # A -> B in S's graph (B stays); others went with nodes
        "skipped": [],
    }
    s = api.get(f"graphs/{learners.s['id']}/", school.S).json
    assert states(s) == {"A": "completed", "B": "in_progress", "C": "unlocked", "E": "unlocked"}
    assert s["version"] == template_version
    kept = next(n for n in s["nodes"] if n["title"] == "B")
    assert kept["removed_from_template"] is True
    assert dbsession.query(ElementProgress).filter_by(node_id=learners.ids["B"]).count() == 1
    retyped = [d for d in s["dependencies"] if d["to_node_id"] == learners.ids["C"]]
    assert [(d["type"], d["min_score_percent"]) for d in retyped] == [("required", 90)]
    s2 = api.get(f"graphs/{learners.s2['id']}/", school.S2).json
    assert states(s2) == {"A": "unlocked", "C": "locked", "E": "locked"}
    again = api.post(base + "propagate/", school.E, status=200).json
    assert (again["nodes_added"], again["nodes_kept"], again["dependencies_added"]) == (0, 1, 0)


def test_propagation_skips_an_edge_that_would_close_a_cycle_with_the_editors_own(
    school, api, path
):
    graph = build(api, school.E, school.S, path.graph.id).json
    ids = {n["title"]: n["id"] for n in graph["nodes"]}
    api.post(
        f"graphs/{graph['id']}/dependencies/",
        school.E,
        {"from_node_id": ids["D"], "to_node_id": ids["A"], "type": "optional"},
    )
    base = f"templates/{path.graph.id}/"
    template_nodes = {n["title"]: n["id"] for n in api.get(base, school.E).json["nodes"]}
    api.post(
        base + "dependencies/",
        school.E,
        {"from_node_id": template_nodes["C"], "to_node_id": template_nodes["D"]},
    )
    outcome = api.post(base + "propagate/", school.E, status=200).json
    assert outcome["dependencies_added"] == 0
    assert [s["cycle"] for s in outcome["skipped"]] == [[ids["C"], ids["D"], ids["A"], ids["C"]]]


# --- constant queries -----------------------------------------------------------------


def test_the_graph_list_costs_the_same_for_1_and_30_graphs(
    school, api, make_user, make_graph, queries_for_1_and_30
):
    from factories import EnrollmentFactory

    def add(n):
        for _ in range(n):
            student = make_user("student")
            EnrollmentFactory(
                student_id=student.id, subject_id=school.x.id, teacher_id=school.E.id
            )
            make_graph(school, student=student, lessons=2, edges=[(0, 1, "required", 0)])

    api.get("graphs/", school.E)  # the token is made before counting
    queries_for_1_and_30(add, lambda: api.get("graphs/", school.E).json["items"])


def test_a_graph_read_costs_the_same_for_1_and_30_lessons(
    school, api, make_graph, make_lesson, count_queries, dbsession
):
    small = make_graph(school, student=school.S, lessons=1)
    large = make_graph(
        school, student=school.S, lessons=30, edges=[(i, i + 1, "required", 0) for i in range(29)]
    )
    api.get(f"graphs/{small.graph.id}/", school.P)  # warm the token
    with count_queries() as few:
        api.get(f"graphs/{small.graph.id}/", school.P)
    with count_queries() as many:
        body = api.get(f"graphs/{large.graph.id}/", school.P).json
    assert len(body["nodes"]) == 30 and len(body["dependencies"]) == 29
    assert few.count == many.count, (few.statements, many.statements)
