"""Elements: content validated per type, the other fields' limits, lists and filters,
deletion guarded by lessons, and who reads what."""

from __future__ import annotations

import pytest
from knowledge_support import SHORT_ANSWER, VALID_CONTENT, element_body, theory_body


@pytest.mark.parametrize("type_", sorted(VALID_CONTENT))
def test_each_type_takes_its_content(type_, school, api):
    made = api.post("elements/", school.E, element_body(school.x.id, type_, VALID_CONTENT[type_]))
    assert made.json["type"] == type_
    assert made.headers["Location"].endswith(f"/api/knowledge/elements/{made.json['id']}/")
    read = api.get(f"elements/{made.json['id']}/", school.E).json
    assert read["content"] == made.json["content"]
    if type_ == "quick_question":
        assert read["content"]["correct"] == [0, 1]  # stored sorted
    if type_ == "theory":
        assert read["content"]["markdown"].startswith("# Halves\n\n  1/2")  # kept as written


def test_a_short_answer_question_is_a_quick_question(school, api):
    made = api.post(
        "elements/", school.E, element_body(school.x.id, "quick_question", SHORT_ANSWER)
    )
    assert made.json["content"] == SHORT_ANSWER


BAD_CONTENT = [
    ("theory", {}, "content.markdown"),
    ("theory", {"markdown": "x", "html": "<p>"}, "content"),
    ("theory", {"markdown": 5}, "content.markdown"),
    ("video", {"url": "http://video.example/a.mp4", "duration_seconds": 10}, "content.url"),
    ("video", {"url": "ftp://video.example/a", "duration_seconds": 10}, "content.url"),
    ("video", {"url": "https://", "duration_seconds": 10}, "content.url"),
    ("video", {"url": "https://v.example/a", "duration_seconds": 0}, "content.duration_seconds"),
    ("video", {"url": "https://v.example/a", "duration_seconds": -5}, "content.duration_seconds"),
    ("video", {"url": "https://v.example/a"}, "content.duration_seconds"),
    ("quick_question", {"question": "Q", "choices": ["a", "b"], "correct": []}, "content.correct"),
    (
        "quick_question",
        {"question": "Q", "choices": ["a", "b"], "correct": [2]},
        "content.correct.0",
    ),
    (
        "quick_question",
        {"question": "Q", "choices": ["a", "b"], "correct": [-1]},
        "content.correct.0",
    ),
    (
        "quick_question",
        {"question": "Q", "choices": ["a", "b"], "correct": [0, 0]},
        "content.correct",
    ),
    ("quick_question", {"question": "Q", "choices": ["a"], "correct": [0]}, "content.choices"),
    ("quick_question", {"choices": ["a", "b"], "correct": [0]}, "content.question"),
    ("quick_question", {"question": "Q", "accepted_answers": []}, "content.accepted_answers"),
    (
        "quick_question",
        {"question": "Q", "accepted_answers": ["a"], "choices": ["a", "b"], "correct": [0]},
        "content",
    ),
    (
        "quick_question",
        {"question": "Q", "choices": ["a", "b"], "correct": [0], "x": 1},
        "content",
    ),
    ("text_problem", {"statement": ""}, "content.statement"),
    ("text_problem", {"markdown": "x"}, "content"),
]


@pytest.mark.parametrize(("type_", "content", "field"), BAD_CONTENT)
def test_content_that_does_not_fit_its_type_is_400(type_, content, field, school, api):
    answer = api.post("elements/", school.E, element_body(school.x.id, type_, content), status=400)
    names = [e["name"] for e in answer.json["errors"]]
    assert any(n == field or n.startswith(field + ".") for n in names), names


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"difficulty": 0}, "difficulty"),
        ({"difficulty": 11}, "difficulty"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_score": -1}, "max_score"),
        ({"estimated_minutes": -1}, "estimated_minutes"),
        ({"tags": ["x"] * 21}, "tags"),
        ({"type": "essay"}, "type"),
        ({"colour": "red"}, "colour"),
        ({"content": "text"}, "content"),
        ({"title": ""}, "title"),
    ],
)
def test_fields_out_of_range_or_unknown_are_400(fields, field, school, api):
    answer = api.post("elements/", school.E, theory_body(school.x.id, **fields), status=400)
    assert any(field in e["name"] or field in e["description"] for e in answer.json["errors"])


def test_the_content_is_checked_against_the_stored_type_on_patch(school, api):
    made = api.post("elements/", school.E, theory_body(school.x.id)).json
    path = f"elements/{made['id']}/"
    api.patch(path, school.E, {"content": VALID_CONTENT["video"]}, status=400)
    api.patch(path, school.E, {"type": "video"}, status=400)  # the type stays
    changed = api.patch(path, school.E, {"content": {"markdown": "New"}, "tags": [" Algebra  I"]})
    assert changed.json["content"] == {"markdown": "New"}
    assert changed.json["tags"] == ["algebra i"]


def test_defaults(school, api):
    made = api.post("elements/", school.E, theory_body(school.x.id)).json
    assert (made["difficulty"], made["max_attempts"], made["shared"]) == (1, 3, False)
    assert made["author_id"] == school.E.id


def test_an_element_in_a_subject_one_does_not_author_in_is_403(school, api):
    from factories import SubjectFactory

    other = SubjectFactory()
    api.post("elements/", school.E, theory_body(other.id), status=403)
    answer = api.post("elements/", school.E, theory_body(999_999), status=400)
    assert answer.json["errors"][0]["name"] == "subject_id"


def test_list_filters_by_subject_type_and_tag(school, api):
    body = element_body(school.x.id, "video", VALID_CONTENT["video"], tags=["Fractions", "basics"])
    video = api.post("elements/", school.E, body).json
    theory = api.post("elements/", school.E, theory_body(school.x.id, tags=["basics"])).json

    def ids(**query):
        return [e["id"] for e in api.get("elements/", school.E, **query).json["items"]]

    assert ids() == [video["id"], theory["id"]]
    assert ids(type="video") == [video["id"]]
    assert ids(tag="fractions") == [video["id"]]
    assert ids(tag="Basics") == [video["id"], theory["id"]]
    assert ids(tag="basic") == []
    assert ids(subject=school.x.id + 1000) == []
    api.get("elements/", school.E, status=400, type="essay")


def test_shared_elements_are_read_by_the_subjects_other_authors_only(school, api, as_):
    private = api.post("elements/", school.E, theory_body(school.x.id)).json
    shared = api.post("elements/", school.E, theory_body(school.x.id, shared=True)).json
    seen = [e["id"] for e in api.get("elements/", school.E2).json["items"]]
    assert seen == [shared["id"]]
    api.get(f"elements/{shared['id']}/", school.E2)
    api.get(f"elements/{private['id']}/", school.E2, status=404)
    api.patch(f"elements/{shared['id']}/", school.E2, {"title": "Mine"}, status=403)
    assert api.get("elements/", school.T).json["items"] == []  # not assigned to the subject
    api.get(f"elements/{shared['id']}/", school.S, status=403)


def test_an_element_used_in_a_lesson_cannot_be_deleted(school, api):
    element = api.post("elements/", school.E, theory_body(school.x.id)).json
    lesson = api.post(
        "lessons/",
        school.E,
        {"title": "L", "subject_id": school.x.id, "elements": [{"element_id": element["id"]}]},
    ).json
    answer = api.delete(f"elements/{element['id']}/", school.E, status=409)
    assert answer.json["lesson_ids"] == [lesson["id"]]
    api.patch(f"lessons/{lesson['id']}/", school.E, {"elements": []})
    api.delete(f"elements/{element['id']}/", school.E)
    api.get(f"elements/{element['id']}/", school.E, status=404)
