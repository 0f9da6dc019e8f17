"""The class overview of a template: students x lessons for the caller's students, in a
constant number of queries, and its CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from learning_support import CHOICE, element_url, elements_of

from factories import EnrollmentFactory, TeacherSubjectFactory
from thebot.knowledge.overview.rows import REGISTRY_KEY, OverviewRows, overview_rows


@pytest.fixture
def klass(school, make_graph, make_lesson, dbsession):
    """A template of two lessons (A -> B required) and graphs of S and S2 made from it; S
    completed A (3 of 3); S2's graph lacks B."""
    lessons = [
        make_lesson(school.x, school.E, elements=[CHOICE], title=title)
        for title in ("=SUM(A1)", "Fractions")
    ]
    template = make_graph(school, lessons=lessons, edges=[(0, 1, "required", 0)])
    template.graph.title = "Fractions path"
    mine = make_graph(
        school,
        student=school.S,
        lessons=lessons,
        edges=[(0, 1, "required", 0)],
        template=template.graph,
    )
    theirs = make_graph(school, student=school.S2, lessons=lessons[:1], template=template.graph)
    dbsession.flush()
    return template, mine, theirs, lessons


def overview(api, template, user, status=200, **query):
    return api.get(f"templates/{template.graph.id}/overview/", user, status=status, **query)


def test_the_matrix_shows_each_students_state_and_score(school, klass, api, dbsession):
    template, mine, theirs, lessons = klass
    (choice,) = elements_of(dbsession, lessons[0])
    url = element_url(mine.graph, mine.nodes[0], choice.id, "answer")
    api.post(url, school.S, {"answer": [0, 1]}, status=200)
    body = overview(api, template, school.A).json
    assert body["template"]["title"] == "Fractions path"
    assert [c["title"] for c in body["lessons"]] == ["=SUM(A1)", "Fractions"]
    assert [c["max_score"] for c in body["lessons"]] == [3, 3]
    rows = {row["student"]["id"]: row for row in body["items"]}
    mine, theirs = rows[school.S.id], rows[school.S2.id]
    assert (mine["states"], mine["scores"]) == (["completed", "unlocked"], [3, 0])
    assert (mine["completed"], mine["score"], mine["max_score"]) == (1, 3, 6)
    assert (theirs["states"], theirs["scores"]) == (["unlocked", None], [0, None])
    assert (theirs["completed"], theirs["score"], theirs["max_score"]) == (0, 0, 3)
    assert body["next_cursor"] is None


@pytest.mark.parametrize(
    "who, status, students",
    [
        ("E", 200, ["S"]),
        ("E2", 200, ["S2"]),
        ("A", 200, ["S", "S2"]),
        ("T", 404, None),  # tutors not assigned to the subject do not read its templates
        ("T2", 404, None),
        ("S", 403, None),
        ("S2", 403, None),
        ("P", 403, None),
        ("P2", 403, None),
    ],
)
def test_who_sees_which_rows(who, status, students, school, klass, api):
    template = klass[0]
    res = overview(api, template, school.people[who], status=status)
    csv_res = api.get(
        f"templates/{template.graph.id}/overview/csv/", school.people[who], status=status
    )
    if students is None:
        return
    expected = sorted(school.people[s].id for s in students)
    assert sorted(row["student"]["id"] for row in res.json["items"]) == expected
    lines = list(csv.reader(io.StringIO(csv_res.text)))
    assert sorted(int(line[0]) for line in lines[1:]) == expected


def test_the_csv_export(school, klass, api):
    template = klass[0]
    res = api.get(f"templates/{template.graph.id}/overview/csv/", school.A)
    assert res.content_type == "text/csv"
    assert "attachment" in res.headers["Content-Disposition"]
    header, *rows = list(csv.reader(io.StringIO(res.text)))
    assert header == [
        "student_id",
        "student",
        "graph_id",
        "completed",
        "score",
        "max_score",
        "'=SUM(A1) (state)",
        "'=SUM(A1) (score)",
        "Fractions (state)",
        "Fractions (score)",
    ]
    by_student = {int(row[0]): row for row in rows}
    assert by_student[school.S2.id][6:] == ["unlocked", "0", "", ""]
    only = api.get(f"templates/{template.graph.id}/overview/csv/", school.A, student=school.S.id)
    assert len(list(csv.reader(io.StringIO(only.text)))) == 2
    api.get(f"templates/{template.graph.id}/overview/csv/", school.A, status=400, format="x")


def test_pages_and_constant_queries(
    school, make_graph, klass, api, dbsession, make_user, queries_for_1_and_30
):
    template, _mine, _theirs, lessons = klass
    teacher = make_user("teacher")
    TeacherSubjectFactory(teacher_id=teacher.id, subject_id=school.x.id)

    def add(n: int) -> None:
        for _ in range(n):
            student = make_user("student")
            EnrollmentFactory(student_id=student.id, subject_id=school.x.id, teacher_id=teacher.id)
            make_graph(
                school,
                student=student,
                lessons=lessons,
                edges=[(0, 1, "required", 0)],
                template=template.graph,
            )
        dbsession.flush()

    def fetch():
        return overview(api, template, teacher, limit=200).json["items"]

    fetch()
    queries_for_1_and_30(add, fetch)
    first = overview(api, template, teacher, limit=20).json
    assert len(first["items"]) == 20 and first["next_cursor"]
    rest = overview(api, template, teacher, limit=20, cursor=first["next_cursor"]).json
    assert len(rest["items"]) == 10 and rest["next_cursor"] is None
    default = overview(api, template, teacher).json  # a page is a class: 25 students
    assert len(default["items"]) == 25 and default["next_cursor"]


def cells_statements(counter):
    return [s for s in counter.statements if "knowledge_lesson_progress" in s]


def test_rows_are_served_from_the_cache_until_their_graph_changes(
    school, klass, api, dbsession, count_queries
):
    template, mine, _theirs, lessons = klass
    first = overview(api, template, school.A).json
    with count_queries() as warm:
        again = overview(api, template, school.A).json
    assert again == first
    assert cells_statements(warm) == []  # both rows from the cache
    (choice,) = elements_of(dbsession, lessons[0])
    api.post(
        element_url(mine.graph, mine.nodes[0], choice.id, "answer"),
        school.S,
        {"answer": [0, 1]},
        status=200,
    )
    with count_queries() as after_answer:
        rows = {r["student"]["id"]: r for r in overview(api, template, school.A).json["items"]}
    assert rows[school.S.id]["states"] == ["completed", "unlocked"]  # S's row recomputed
    assert rows[school.S.id]["score"] == 3
    assert len(cells_statements(after_answer)) == 1  # for S's graph only
    assert rows[school.S2.id] == {r["graph_id"]: r for r in first["items"]}[klass[2].graph.id]
    # The template's column order changes: every row is recomputed in the new order.
    base = f"templates/{template.graph.id}/nodes/{template.nodes[0].id}/"
    api.patch(base, school.E, {"x": 0, "y": 500})
    moved = overview(api, template, school.A).json
    assert [c["title"] for c in moved["lessons"]] == ["Fractions", "=SUM(A1)"]
    rows = {r["student"]["id"]: r for r in moved["items"]}
    assert rows[school.S.id]["states"] == ["unlocked", "completed"]
    assert rows[school.S2.id]["states"] == [None, "unlocked"]
    # A new name shows at once: names are not cached.
    school.S2.first_name = "Renamed"
    dbsession.flush()
    rows = {r["student"]["id"]: r for r in overview(api, template, school.A).json["items"]}
    assert rows[school.S2.id]["student"]["name"].startswith("Renamed")


def test_the_progress_tag_moves_with_progress_and_nodes_only(school, klass, dbsession):
    from sqlalchemy import select

    from thebot.knowledge.models import KnowledgeGraph, LessonProgress

    _template, mine, _theirs, _lessons = klass

    def tag():
        return dbsession.scalar(
            select(KnowledgeGraph.progress_tag).where(KnowledgeGraph.id == mine.graph.id)
        )

    before = tag()
    row = dbsession.scalars(
        select(LessonProgress).where(LessonProgress.graph_id == mine.graph.id)
    ).first()
    row.state = row.state  # no change
    mine.graph.title = "Another title"  # not progress
    dbsession.flush()
    assert tag() == before
    row.score = row.score + 1
    dbsession.flush()
    changed = tag()
    assert changed != before
    dbsession.delete(row)
    dbsession.flush()
    assert tag() not in (before, changed)


def test_a_cache_that_fails_costs_the_query_not_the_request(
    school, klass, api, app, monkeypatch, count_queries
):
    template = klass[0]
    expected = overview(api, template, school.A).json
    stored = overview_rows(app.registry)
    monkeypatch.setattr(stored, "local", None)  # KNOWLEDGE_OVERVIEW_LOCAL_ROWS = 0
    region = app.registry["cache_regions"]["default"]

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(region, "get_multi", down)
    monkeypatch.setattr(region, "set_multi", down)
    with count_queries() as counter:
        assert overview(api, template, school.A).json == expected
    assert len(cells_statements(counter)) == 1
    csv_res = api.get(f"templates/{template.graph.id}/overview/csv/", school.A)
    assert len(csv_res.text.splitlines()) == 3


def test_another_process_reads_the_shared_rows_then_its_own(
    school, klass, api, app, monkeypatch, count_queries
):
    template = klass[0]
    first = overview(api, template, school.A).json
    region = overview_rows(app.registry).region
    other = OverviewRows(region, 10)  # another web process: nothing in its memory yet
    monkeypatch.setitem(app.registry, REGISTRY_KEY, other)
    reads = []
    shared_get = region.get_multi
    monkeypatch.setattr(region, "get_multi", lambda keys: reads.append(keys) or shared_get(keys))
    with count_queries() as counter:
        assert overview(api, template, school.A).json == first
    assert cells_statements(counter) == [] and len(reads) == 1  # the shared rows
    with count_queries() as counter:
        assert overview(api, template, school.A).json == first
    assert cells_statements(counter) == [] and len(reads) == 1  # its own memory


def test_each_process_keeps_a_bounded_number_of_rows_at_their_tag():
    stored = OverviewRows(None, 2)
    stored.store({1: (7, "L", {"score": 1}), 2: (7, "L", {"score": 2}), 3: (7, "L", {})})
    assert stored.local is not None and len(stored.local) == 2
    assert set(stored.found({1: 7, 2: 7, 3: 7}, "L")) == {2, 3}  # the oldest went
    assert stored.found({2: 8}, "L") == {}  # the graph moved on
    assert stored.found({2: 7}, "another column order") == {}
    assert OverviewRows(None, 0).local is None
