"""Export and import of a template as one JSON document, so schools can share paths.

Format ``thebot.knowledge.template``, version 1: the template (title, description, the
subject's name for the reader), its lessons and their elements inlined (answers included:
authors export for authors), nodes and dependencies. Rows are named by keys local to the
document (``"e1"``, ``"l1"``, ``"n1"``), never by database ids::

    {"format": "thebot.knowledge.template", "version": 1,
     "template": {"title", "description", "subject"},
     "elements": [{"key", "type", "title", "content", "difficulty", "estimated_minutes",
                   "max_score", "max_attempts", "tags"}],
     "lessons": [{"key", "title", "description", "elements": [{"element", "required"}]}],
     "nodes": [{"key", "lesson", "x", "y"}],
     "dependencies": [{"from", "to", "type", "min_score_percent"}]}

Import takes such a document plus ``subject_id`` (a subject the caller authors in) and
creates new elements (private to the caller), lessons (shared in the subject), the template
and its structure, all or nothing: the whole document is checked (shape, each element's
content, keys, cycles) before anything is written, and any error is a 400 naming the field.
"""

from __future__ import annotations

from typing import Any

import colander
from sqlalchemy import select
from sqlalchemy.orm import Session

from thebot.accounts.models import User
from thebot.catalog.models import Subject
from thebot.errors import Forbidden, Invalid, field_error
from thebot.knowledge import access
from thebot.knowledge.elements.content import clean_content, plain
from thebot.knowledge.elements.schemas import TYPES, Tags
from thebot.knowledge.elements.service import check_author, normalise_tags
from thebot.knowledge.models import Dependency, Element, GraphNode, Lesson, LessonElement
from thebot.knowledge.structure.cycles import find_cycle
from thebot.knowledge.structure.schemas import DEPENDENCY_TYPES, coordinate
from thebot.knowledge.templates import service as templates
from thebot.knowledge.totals import store as store_totals
from thebot.schemas import DROP, StrictMapping, boolean, choice, integer, object_id

FORMAT = "thebot.knowledge.template"
VERSION = 1


def ref() -> colander.SchemaNode:
    return plain(64)


class TemplatePart(StrictMapping):
    title = plain(200)
    description = plain(5000, min_length=0, missing="")
    subject = plain(200, min_length=0, missing="")


class ElementPart(StrictMapping):
    key = ref()
    type = choice(TYPES)
    title = plain(200)
    content = colander.SchemaNode(colander.Mapping(unknown="preserve"))
    difficulty = integer(1, 10, missing=1)
    estimated_minutes = integer(0, 600, missing=5)
    max_score = integer(0, 1000, missing=1)
    max_attempts = integer(1, 100, missing=3)
    tags = Tags(validator=colander.Length(0, 20), missing=())


class LessonElementPart(StrictMapping):
    element = ref()
    required = boolean(missing=True)


class LessonElementParts(colander.SequenceSchema):
    item = LessonElementPart()


class LessonPart(StrictMapping):
    key = ref()
    title = plain(200)
    description = plain(5000, min_length=0, missing="")
    elements = LessonElementParts(validator=colander.Length(0, 200), missing=())


class NodePart(StrictMapping):
    key = ref()
    lesson = ref()
    x = coordinate(missing=0)
    y = coordinate(missing=0)


def dependency_part() -> StrictMapping:
    """``{"from", "to", "type", "min_score_percent"}`` (``from`` is a Python keyword)."""
    node = StrictMapping()
    node.add(plain(64, name="from"))
    node.add(plain(64, name="to"))
    node.add(choice(DEPENDENCY_TYPES, missing="required", name="type"))
    node.add(integer(0, 100, missing=0, name="min_score_percent"))
    return node


class Document(StrictMapping):
    subject_id = object_id(missing=DROP)
    format = choice((FORMAT,))
    version = integer(VERSION, VERSION)
    exported_at = plain(64, min_length=0, missing=DROP)
    template = TemplatePart()
    elements = colander.SequenceSchema(ElementPart(), validator=colander.Length(0, 5000))
    lessons = colander.SequenceSchema(LessonPart(), validator=colander.Length(0, 1000))
    nodes = colander.SequenceSchema(NodePart(), validator=colander.Length(0, 1000))
    dependencies = colander.SequenceSchema(dependency_part(), validator=colander.Length(0, 5000))


# --- export -----------------------------------------------------------------------------


def _refuse_private(dbsession: Session, viewer: User, element_ids: list[int]) -> None:
    """The document inlines every element with its answers: a caller who may not read one
    of them (another author's private element) may not export the template (403)."""
    hidden = dbsession.scalars(
        select(Element.id)
        .where(
            Element.id.in_(element_ids),
            ~access.readable_content_clause(viewer, Element),
        )
        .order_by(Element.id)
    ).all()
    if hidden:
        raise Forbidden(
            "The template holds elements private to their authors; only they (or an admin) "
            "may export it.",
            element_ids=list(hidden),
        )


def export(dbsession: Session, viewer: User, template: Any, exported_at: str) -> dict[str, Any]:
    nodes = dbsession.scalars(
        select(GraphNode).where(GraphNode.graph_id == template.id).order_by(GraphNode.id)
    ).all()
    lesson_ids = sorted({n.lesson_id for n in nodes})
    lessons = dbsession.scalars(
        select(Lesson).where(Lesson.id.in_(lesson_ids)).order_by(Lesson.id)
    ).all()
    links = dbsession.scalars(
        select(LessonElement)
        .where(LessonElement.lesson_id.in_(lesson_ids))
        .order_by(LessonElement.lesson_id, LessonElement.position, LessonElement.id)
    ).all()
    element_ids = sorted({link.element_id for link in links})
    _refuse_private(dbsession, viewer, element_ids)
    elements = dbsession.scalars(
        select(Element).where(Element.id.in_(element_ids)).order_by(Element.id)
    ).all()
    dependencies = dbsession.scalars(
        select(Dependency).where(Dependency.graph_id == template.id).order_by(Dependency.id)
    ).all()
    subject = dbsession.get(Subject, template.subject_id)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": exported_at,
        "template": {
            "title": template.title,
            "description": template.description,
            "subject": subject.name if subject is not None else "",
        },
        "elements": [
            {
                "key": f"e{e.id}",
                "type": e.type,
                "title": e.title,
                "content": e.content,
                "difficulty": e.difficulty,
                "estimated_minutes": e.estimated_minutes,
                "max_score": e.max_score,
                "max_attempts": e.max_attempts,
                "tags": list(e.tags or []),
            }
            for e in elements
        ],
        "lessons": [
            {
                "key": f"l{lesson.id}",
                "title": lesson.title,
                "description": lesson.description,
                "elements": [
                    {"element": f"e{link.element_id}", "required": link.required}
                    for link in links
                    if link.lesson_id == lesson.id
                ],
            }
            for lesson in lessons
        ],
        "nodes": [
            {"key": f"n{n.id}", "lesson": f"l{n.lesson_id}", "x": n.x, "y": n.y} for n in nodes
        ],
        "dependencies": [
            {
                "from": f"n{d.from_node_id}",
                "to": f"n{d.to_node_id}",
                "type": d.type,
                "min_score_percent": d.min_score_percent,
            }
            for d in dependencies
        ],
    }


# --- import -----------------------------------------------------------------------------


def _unique(rows: list[dict[str, Any]], part: str, errors: list[dict[str, str]]) -> set[str]:
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row["key"] in seen:
            errors.append(field_error(f"{part}.{i}.key", "Used twice"))
        seen.add(row["key"])
    return seen


def check(raw: Any) -> dict[str, Any]:
    """The document, checked whole; ``Invalid`` lists every problem found."""
    try:
        doc: dict[str, Any] = Document().deserialize(raw)
    except colander.Invalid as exc:
        raise Invalid(errors=[field_error(k, v) for k, v in sorted(exc.asdict().items())]) from exc
    errors: list[dict[str, str]] = []
    element_keys = _unique(doc["elements"], "elements", errors)
    lesson_keys = _unique(doc["lessons"], "lessons", errors)
    node_keys = _unique(doc["nodes"], "nodes", errors)
    for i, element in enumerate(doc["elements"]):
        try:
            element["content"] = clean_content(element["type"], element["content"])
        except Invalid as exc:
            for error in exc.errors or []:
                errors.append({**error, "name": f"elements.{i}.{error['name']}"})
    for i, lesson in enumerate(doc["lessons"]):
        used = [item["element"] for item in lesson["elements"]]
        for j, name in enumerate(used):
            if name not in element_keys:
                errors.append(field_error(f"lessons.{i}.elements.{j}.element", "No such element"))
            elif name in used[:j]:
                errors.append(field_error(f"lessons.{i}.elements.{j}.element", "Listed twice"))
    placed: set[str] = set()
    for i, node in enumerate(doc["nodes"]):
        if node["lesson"] not in lesson_keys:
            errors.append(field_error(f"nodes.{i}.lesson", "No such lesson"))
        elif node["lesson"] in placed:
            errors.append(field_error(f"nodes.{i}.lesson", "A lesson is placed once"))
        placed.add(node["lesson"])
    edges: list[tuple[str, str]] = []
    for i, dep in enumerate(doc["dependencies"]):
        pair = (dep["from"], dep["to"])
        bad = [end for end in ("from", "to") if dep[end] not in node_keys]
        errors.extend(field_error(f"dependencies.{i}.{end}", "No such node") for end in bad)
        if bad:
            continue
        if pair in edges:
            errors.append(field_error(f"dependencies.{i}", "Listed twice"))
        edges.append(pair)
    cycle = find_cycle(edges) if not errors else None
    if cycle is not None:
        errors.append(field_error("dependencies", f"A cycle: {' -> '.join(cycle)}"))
    if errors:
        raise Invalid(errors=errors)
    return doc


def import_document(dbsession: Session, viewer: User, raw: Any) -> Any:
    """A new template (and its elements and lessons) from an export document."""
    doc = check(raw)
    if "subject_id" not in doc:
        raise Invalid("subject_id", "The subject to import into")
    subject_id = doc["subject_id"]
    check_author(dbsession, viewer, subject_id)
    elements: dict[str, Element] = {}
    for item in doc["elements"]:
        elements[item["key"]] = Element(
            type=item["type"],
            title=item["title"],
            subject_id=subject_id,
            author_id=viewer.id,
            difficulty=item["difficulty"],
            estimated_minutes=item["estimated_minutes"],
            max_score=item["max_score"],
            max_attempts=item["max_attempts"],
            tags=normalise_tags(item["tags"]),
            shared=False,
            content=item["content"],
        )
    lessons = {
        item["key"]: Lesson(
            title=item["title"],
            description=item["description"],
            subject_id=subject_id,
            author_id=viewer.id,
            shared=True,
        )
        for item in doc["lessons"]
    }
    dbsession.add_all([*elements.values(), *lessons.values()])
    dbsession.flush()
    for item in doc["lessons"]:
        for position, placed in enumerate(item["elements"]):
            dbsession.add(
                LessonElement(
                    lesson_id=lessons[item["key"]].id,
                    element_id=elements[placed["element"]].id,
                    position=position,
                    required=placed["required"],
                )
            )
    store_totals(dbsession, [lesson.id for lesson in lessons.values()])
    part = doc["template"]
    template = templates.create(
        dbsession,
        viewer,
        {"title": part["title"], "description": part["description"], "subject_id": subject_id},
    )
    nodes = {
        item["key"]: GraphNode(
            graph_id=template.id, lesson_id=lessons[item["lesson"]].id, x=item["x"], y=item["y"]
        )
        for item in doc["nodes"]
    }
    dbsession.add_all(nodes.values())
    dbsession.flush()
    dbsession.add_all(
        Dependency(
            graph_id=template.id,
            from_node_id=nodes[item["from"]].id,
            to_node_id=nodes[item["to"]].id,
            type=item["type"],
            min_score_percent=item["min_score_percent"],
        )
        for item in doc["dependencies"]
    )
    dbsession.flush()
    return template
