"""Lessons: ordered elements of one subject, totals derived, the list replaced on PATCH,
deletion guarded by graphs."""

from __future__ import annotations

from knowledge_support import VALID_CONTENT, element_body, theory_body


def make_elements(api, school, user=None):
    user = user or school.E
    theory = api.post("elements/", user, theory_body(school.x.id, estimated_minutes=10)).json
    question = api.post(
        "elements/",
        user,
        element_body(school.x.id, "quick_question", VALID_CONTENT["quick_question"], max_score=3),
    ).json
    problem = api.post(
        "elements/",
        user,
        element_body(school.x.id, "text_problem", VALID_CONTENT["text_problem"], max_score=5),
    ).json
    return theory, question, problem


def test_a_lesson_keeps_its_order_and_derives_its_totals(school, api):
    theory, question, problem = make_elements(api, school)
    body = {
        "title": "Halves",
        "subject_id": school.x.id,
        "elements": [
            {"element_id": problem["id"], "required": False},
            {"element_id": theory["id"]},
            {"element_id": question["id"], "required": True},
        ],
    }
    lesson = api.post("lessons/", school.E, body).json
    assert [e["element_id"] for e in lesson["elements"]] == [
        problem["id"],
        theory["id"],
        question["id"],
    ]
    assert [e["required"] for e in lesson["elements"]] == [False, True, True]
    assert lesson["totals"] == {
        "element_count": 3,
        "required_count": 2,
        "estimated_minutes": 20,  # 5 + 10 + 5: every element
        "max_score": 4,  # 1 + 3: required elements only
    }
    assert lesson["shared"] is True


def test_patch_replaces_the_element_list(school, api):
    theory, question, problem = make_elements(api, school)
    lesson = api.post(
        "lessons/",
        school.E,
        {"title": "L", "subject_id": school.x.id, "elements": [{"element_id": theory["id"]}]},
    ).json
    changed = api.patch(
        f"lessons/{lesson['id']}/",
        school.E,
        {"elements": [{"element_id": question["id"]}, {"element_id": theory["id"]}]},
    ).json
    assert [e["element_id"] for e in changed["elements"]] == [question["id"], theory["id"]]
    assert changed["totals"]["max_score"] == 4
    renamed = api.patch(f"lessons/{lesson['id']}/", school.E, {"title": "Renamed"}).json
    assert renamed["elements"] == changed["elements"]


def test_elements_must_be_readable_of_the_subject_and_listed_once(school, api):
    from factories import ElementFactory, SubjectFactory, TeacherSubjectFactory

    theory, _q, _p = make_elements(api, school)
    private_of_e2 = api.post("elements/", school.E2, theory_body(school.x.id)).json
    other_subject = SubjectFactory()
    TeacherSubjectFactory(teacher_id=school.E.id, subject_id=other_subject.id)
    elsewhere = ElementFactory(subject_id=other_subject.id, author_id=school.E.id)
    body = {
        "title": "L",
        "subject_id": school.x.id,
        "elements": [
            {"element_id": theory["id"]},
            {"element_id": theory["id"]},
            {"element_id": private_of_e2["id"]},
            {"element_id": elsewhere.id},
            {"element_id": 999_999},
        ],
    }
    errors = api.post("lessons/", school.E, body, status=400).json["errors"]
    assert {e["name"]: e["description"] for e in errors} == {
        "elements.1.element_id": "Listed twice",
        "elements.2.element_id": "No such element",
        "elements.3.element_id": "An element of another subject",
        "elements.4.element_id": "No such element",
    }
    shared_of_e2 = api.post("elements/", school.E2, theory_body(school.x.id, shared=True)).json
    body["elements"] = [{"element_id": shared_of_e2["id"]}]
    api.post("lessons/", school.E, body)


def test_a_lesson_placed_in_a_graph_cannot_be_deleted(school, api, make_lesson, make_graph):
    lesson = make_lesson(school.x, school.E)
    template = make_graph(school, lessons=[lesson])
    answer = api.delete(f"lessons/{lesson.id}/", school.E, status=409)
    assert answer.json["graph_count"] == 1
    api.delete(f"templates/{template.graph.id}/nodes/{template.nodes[0].id}/", school.E)
    api.delete(f"lessons/{lesson.id}/", school.E)


def test_lists_and_filter_by_subject(school, api, make_lesson):
    mine = make_lesson(school.x, school.E)
    private = make_lesson(school.x, school.E2)
    private.shared = False
    ids = [
        lesson["id"] for lesson in api.get("lessons/", school.E, subject=school.x.id).json["items"]
    ]
    assert ids == [mine.id]
    assert len(api.get("lessons/", school.A).json["items"]) == 2
    item = api.get("lessons/", school.E).json["items"][0]
    assert item["totals"]["required_count"] == 2


def test_stored_totals_follow_element_and_lesson_edits(school, api, dbsession, make_graph):
    """The totals stored on the lesson (what graph reads and overviews join) move with an
    element's max score and minutes and with the element list, in every place shown."""
    from thebot.knowledge import totals
    from thebot.knowledge.models import Lesson

    theory, question, problem = make_elements(api, school)
    body = {
        "title": "Halves",
        "subject_id": school.x.id,
        "elements": [
            {"element_id": theory["id"]},
            {"element_id": question["id"]},
            {"element_id": problem["id"], "required": False},
        ],
    }
    lesson_id = api.post("lessons/", school.E, body).json["id"]
    made = make_graph(school, student=school.S, lessons=[dbsession.get(Lesson, lesson_id)])

    def shown() -> tuple[dict, dict, int]:
        """The lesson's totals as the lesson and the graph show them, and the student's
        maximum score; the stored columns must equal a fresh aggregate."""
        dbsession.expire_all()
        stored = totals.totals_data(dbsession.get(Lesson, lesson_id))
        assert stored == dict(
            zip(totals.FIELDS, totals.computed(dbsession, [lesson_id])[lesson_id], strict=True)
        )
        lesson = api.get(f"lessons/{lesson_id}/", school.E).json["totals"]
        node = api.get(f"graphs/{made.graph.id}/", school.T).json["nodes"][0]
        assert lesson == node["totals"] == stored
        return lesson, node, node["max_score"]

    lesson, _node, student_max = shown()
    assert (lesson["max_score"], lesson["estimated_minutes"], student_max) == (4, 20, 4)

    api.patch(f"elements/{question['id']}/", school.E, {"max_score": 7})
    lesson, _node, student_max = shown()
    assert (lesson["max_score"], student_max) == (8, 8)  # 1 + 7

    api.patch(f"elements/{problem['id']}/", school.E, {"max_score": 9, "estimated_minutes": 30})
    lesson, _node, student_max = shown()
    assert (lesson["max_score"], lesson["estimated_minutes"], student_max) == (8, 45, 8)

    optional = [
        {"element_id": theory["id"]},
        {"element_id": question["id"], "required": False},
        {"element_id": problem["id"], "required": False},
    ]
    api.patch(f"lessons/{lesson_id}/", school.E, {"elements": optional})
    lesson, _node, student_max = shown()
    assert (lesson["required_count"], lesson["max_score"], student_max) == (1, 1, 1)

    api.patch(f"lessons/{lesson_id}/", school.E, {"elements": [{"element_id": problem["id"]}]})
    lesson, _node, student_max = shown()
    assert lesson == {
        "element_count": 1,
        "required_count": 1,
        "estimated_minutes": 30,
        "max_score": 9,
    }
    assert student_max == 9
