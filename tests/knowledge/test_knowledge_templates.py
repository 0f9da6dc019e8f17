"""Templates: nodes and dependencies, cycles refused with their path, the version, and the
export/import round trip."""

from __future__ import annotations

import copy

import pytest
from knowledge_support import EXPORT_DOC

from thebot.knowledge.models import Element, KnowledgeGraph, Lesson


@pytest.fixture
def chain(school, api, make_lesson):
    """A template with lessons A, B, C, D placed and A -> B -> C required."""
    template = api.post("templates/", school.E, {"title": "Path", "subject_id": school.x.id}).json
    base = f"templates/{template['id']}/"
    lessons = [make_lesson(school.x, school.E, title=t) for t in "ABCD"]
    nodes = [
        api.post(base + "nodes/", school.E, {"lesson_id": lesson.id, "x": 10 * i, "y": 5}).json
        for i, lesson in enumerate(lessons)
    ]
    for a, b in ((0, 1), (1, 2)):
        api.post(
            base + "dependencies/",
            school.E,
            {"from_node_id": nodes[a]["id"], "to_node_id": nodes[b]["id"]},
        )
    return template, base, nodes


def test_a_template_lists_its_nodes_and_dependencies(school, api, chain):
    template, base, nodes = chain
    read = api.get(base, school.E).json
    assert [n["title"] for n in read["nodes"]] == ["A", "B", "C", "D"]
    assert read["node_count"] == 4
    assert read["nodes"][1]["x"] == 10 and "state" not in read["nodes"][0]
    assert read["nodes"][0]["totals"]["element_count"] == 2
    assert [(d["from_node_id"], d["to_node_id"], d["type"]) for d in read["dependencies"]] == [
        (nodes[0]["id"], nodes[1]["id"], "required"),
        (nodes[1]["id"], nodes[2]["id"], "required"),
    ]
    assert read["version"] == 1 + 4 + 2  # each structural change


def test_a_cycle_is_refused_with_the_path_that_would_close_it(school, api, chain):
    _template, base, nodes = chain
    ids = [n["id"] for n in nodes]
    answer = api.post(
        base + "dependencies/",
        school.E,
        {"from_node_id": ids[2], "to_node_id": ids[0], "type": "optional"},
        status=409,
    ).json
    assert answer["cycle"] == [ids[2], ids[0], ids[1], ids[2]]
    assert answer["lessons"] == ["C", "A", "B", "C"]
    assert "C -> A -> B -> C" in answer["detail"]
    assert answer["type"].endswith("/dependency-cycle")
    assert len(api.get(base, school.E).json["dependencies"]) == 2


def test_a_self_loop_is_refused_as_a_cycle(school, api, chain):
    _template, base, nodes = chain
    node = nodes[3]["id"]
    answer = api.post(
        base + "dependencies/", school.E, {"from_node_id": node, "to_node_id": node}, status=409
    ).json
    assert answer["cycle"] == [node, node]
    assert "cannot depend on itself" in answer["detail"]


def test_the_same_dependency_twice_is_409_and_nodes_of_other_graphs_are_400(
    school, api, chain, make_graph
):
    _template, base, nodes = chain
    body = {"from_node_id": nodes[0]["id"], "to_node_id": nodes[1]["id"], "type": "optional"}
    api.post(base + "dependencies/", school.E, body, status=409)
    other = make_graph(school, lessons=1)
    body["to_node_id"] = other.nodes[0].id
    answer = api.post(base + "dependencies/", school.E, body, status=400)
    assert answer.json["errors"][0]["name"] == "to_node_id"
    body["min_score_percent"] = 101
    api.post(base + "dependencies/", school.E, body, status=400)


def test_a_lesson_is_placed_once_and_only_from_the_subject(school, api, chain, make_lesson):
    from factories import SubjectFactory, TeacherSubjectFactory

    _template, base, nodes = chain
    api.post(base + "nodes/", school.E, {"lesson_id": nodes[0]["lesson_id"]}, status=409)
    elsewhere = SubjectFactory()
    TeacherSubjectFactory(teacher_id=school.E.id, subject_id=elsewhere.id)
    lesson = make_lesson(elsewhere, school.E)
    answer = api.post(base + "nodes/", school.E, {"lesson_id": lesson.id}, status=400)
    assert answer.json["errors"][0]["name"] == "lesson_id"


def test_moving_a_node_keeps_the_version_removing_one_drops_its_edges(school, api, chain):
    _template, base, nodes = chain
    version = api.get(base, school.E).json["version"]
    moved = api.patch(base + f"nodes/{nodes[1]['id']}/", school.E, {"x": -40, "y": 7}).json
    assert (moved["x"], moved["y"]) == (-40, 7)
    assert api.get(base, school.E).json["version"] == version
    api.delete(base + f"nodes/{nodes[1]['id']}/", school.E)
    after = api.get(base, school.E).json
    assert after["version"] == version + 1
    assert after["dependencies"] == []
    api.delete(base + f"nodes/{nodes[1]['id']}/", school.E, status=404)


def test_retyping_and_removing_a_dependency(school, api, chain):
    _template, base, _nodes = chain
    dependency = api.get(base, school.E).json["dependencies"][0]
    path = base + f"dependencies/{dependency['id']}/"
    changed = api.patch(path, school.E, {"type": "recommended", "min_score_percent": 80}).json
    assert (changed["type"], changed["min_score_percent"]) == ("recommended", 80)
    api.patch(path, school.E, {"type": "mandatory"}, status=400)
    api.delete(path, school.E)
    assert len(api.get(base, school.E).json["dependencies"]) == 1


def test_rename_and_list(school, api, chain):
    template, base, _nodes = chain
    renamed = api.patch(base, school.E, {"title": "Fractions", "description": "Step by step"})
    assert renamed.json["title"] == "Fractions"
    assert renamed.json["version"] == template["version"] + 6  # not bumped by the rename
    items = api.get("templates/", school.E2, subject=school.x.id).json["items"]
    assert [(t["id"], t["node_count"]) for t in items] == [(template["id"], 4)]
    api.patch(base, school.E, {"version": 3}, status=400)


# --- export / import ------------------------------------------------------------------


def test_export_then_import_makes_the_same_path_elsewhere(school, api, chain, dbsession):
    from factories import SubjectFactory, TeacherSubjectFactory, UserFactory

    template, base, nodes = chain
    api.post(
        base + "dependencies/",
        school.E,
        {
            "from_node_id": nodes[0]["id"],
            "to_node_id": nodes[3]["id"],
            "type": "recommended",
            "min_score_percent": 70,
        },
    )
    document = api.get(base + "export/", school.E)
    assert document.headers["Content-Disposition"].startswith("attachment")
    doc = document.json
    assert (doc["format"], doc["version"]) == ("thebot.knowledge.template", 1)
    assert doc["template"]["subject"] == "Mathematics"
    assert len(doc["elements"]) == 8 and len(doc["lessons"]) == 4
    other_school = SubjectFactory(name="Maths (other school)")
    teacher = UserFactory(role="teacher")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=other_school.id)
    imported = api.post("templates/import/", teacher, {**doc, "subject_id": other_school.id}).json
    assert imported["subject_id"] == other_school.id and imported["author_id"] == teacher.id
    original = api.get(base, school.E).json

    def shape(graph):
        titles = {n["id"]: n["title"] for n in graph["nodes"]}
        return (
            sorted(
                (n["title"], n["x"], n["y"], tuple(n["totals"].items())) for n in graph["nodes"]
            ),
            sorted(
                (
                    titles[d["from_node_id"]],
                    titles[d["to_node_id"]],
                    d["type"],
                    d["min_score_percent"],
                )
                for d in graph["dependencies"]
            ),
        )

    assert shape(imported) == shape(original)
    again = api.get(f"templates/{imported['id']}/export/", teacher).json
    strip = lambda d: {k: v for k, v in d.items() if k not in ("exported_at",)}  # noqa: E731
    assert _without_keys(strip(again)) == _without_keys(strip(doc)) | {
        "template": {**doc["template"], "subject": "Maths (other school)"}
    }
    mine = dbsession.query(Element).filter_by(subject_id=other_school.id).all()
    assert {e.author_id for e in mine} == {teacher.id} and len(mine) == 8


def _without_keys(doc):
    """The document with its local keys renumbered by order (ids differ between schools)."""
    doc = copy.deepcopy(doc)
    names = {}
    for part, prefix in (("elements", "e"), ("lessons", "l"), ("nodes", "n")):
        for i, row in enumerate(doc[part]):
            names[row["key"]] = f"{prefix}{i}"
            row["key"] = names[row["key"]]
    for lesson in doc["lessons"]:
        for item in lesson["elements"]:
            item["element"] = names[item["element"]]
    for node in doc["nodes"]:
        node["lesson"] = names[node["lesson"]]
    for dep in doc["dependencies"]:
        dep["from"], dep["to"] = names[dep["from"]], names[dep["to"]]
    return doc


def test_import_of_the_sample_document(school, api):
    imported = api.post("templates/import/", school.E, {**EXPORT_DOC, "subject_id": school.x.id})
    body = imported.json
    assert imported.headers["Location"].endswith(f"/templates/{body['id']}/")
    assert [n["title"] for n in body["nodes"]] == ["Halves", "Quarters"]
    assert body["nodes"][1]["totals"] == {
        "element_count": 2,
        "required_count": 1,
        "estimated_minutes": 10,
        "max_score": 2,
    }
    assert body["dependencies"][0]["min_score_percent"] == 60


def broken(**changes):
    doc = copy.deepcopy(EXPORT_DOC)
    for dotted, value in changes.items():
        *path, last = dotted.split("__")
        target = doc
        for step in path:
            target = target[int(step)] if step.isdigit() else target[step]
        if value is KeyError:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        (broken(format="other"), "format"),
        (broken(version=2), "version"),
        (broken(template=KeyError), "template"),
        (broken(elements__0__content={"markdown": ""}), "elements.0.content.markdown"),
        (broken(elements__1__content__correct=[7]), "elements.1.content.correct.0"),
        (broken(elements__2__type="essay"), "elements.2.type"),
        (broken(elements__1__key="e1"), "elements.1.key"),
        (broken(lessons__0__elements__1__element="e9"), "lessons.0.elements.1.element"),
        (broken(nodes__1__lesson="l1"), "nodes.1.lesson"),
        (broken(nodes__1__lesson="l7"), "nodes.1.lesson"),
        (broken(dependencies__0__to="n9"), "dependencies.0.to"),
        (broken(dependencies__0__to="n1"), "dependencies"),
        (broken(dependencies__0__extra=1), "dependencies.0"),
        (broken(nodes=[{"key": "n1", "lesson": "l1", "x": "far"}]), "nodes.0.x"),
    ],
)
def test_a_bad_document_is_400_naming_the_field_and_writes_nothing(
    doc, field, school, api, dbsession
):
    before = (
        dbsession.query(Element).count(),
        dbsession.query(Lesson).count(),
        dbsession.query(KnowledgeGraph).count(),
    )
    answer = api.post(
        "templates/import/", school.E, {**doc, "subject_id": school.x.id}, status=400
    )
    names = [e["name"] for e in answer.json["errors"]]
    assert any(n == field or n.startswith(field + ".") for n in names), names
    after = (
        dbsession.query(Element).count(),
        dbsession.query(Lesson).count(),
        dbsession.query(KnowledgeGraph).count(),
    )
    assert after == before


def test_a_cycle_in_a_document_names_it(school, api):
    doc = broken()
    doc["dependencies"].append({"from": "n2", "to": "n1"})
    answer = api.post(
        "templates/import/", school.E, {**doc, "subject_id": school.x.id}, status=400
    )
    assert "n1 -> n2 -> n1" in answer.json["errors"][0]["description"] or (
        "n2 -> n1 -> n2" in answer.json["errors"][0]["description"]
    )


def test_import_needs_a_subject_the_caller_authors_in(school, api):
    from factories import SubjectFactory

    api.post("templates/import/", school.E, dict(EXPORT_DOC), status=400)
    api.post(
        "templates/import/",
        school.E,
        {**EXPORT_DOC, "subject_id": SubjectFactory().id},
        status=403,
    )
    api.post("templates/import/", school.E, [1, 2], status=400)
